using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.Hosting;
using SynthPref.Functions.Hosting;

FunctionsHost.Configure(FunctionsApplication.CreateBuilder(args)).Build().Run();
