using SynthPref.Local.Extensions;

try
{
    var app = await LocalHost.BuildAsync(LocalHost.CreateBuilder(args));
    app.Run();
    return 0;
}
catch (InvalidConfigurationException e)
{
    Console.Error.WriteLine($"SynthPref.Local: {e.Message}");
    return 1;
}
