using SynthPref.Cli;

return await CliCommands.InvokeAsync(args);
