using SynthPref.Local.Extensions;

var app = await LocalHost.BuildAsync(LocalHost.CreateBuilder(args));
app.Run();
