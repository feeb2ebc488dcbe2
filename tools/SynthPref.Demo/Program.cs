using SynthPref.Demo;

// The offline demo: PandaLM's human-labelled pairs, judged by replaying GPT-3.5's recorded verdicts,
// reviewed by replaying the three annotators' labels through the real review endpoint.
return await DemoCommand.Create().Parse(args).InvokeAsync();
