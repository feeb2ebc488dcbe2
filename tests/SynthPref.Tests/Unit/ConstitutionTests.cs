using System.Text;
using SynthPref.Orchestration.Revision;

namespace SynthPref.Tests.Unit;

public sealed class ConstitutionTests
{
    [Fact]
    public void The_default_has_about_a_dozen_principles_covering_the_seeds_themes()
    {
        var principles = Constitution.Default.Principles;

        Assert.InRange(principles.Count, 10, 14);
        foreach (var theme in new[] { "accuracy", "completeness", "clarity", "safety", "honesty", "intent" })
            Assert.Contains(principles, p => p.Name.StartsWith(theme, StringComparison.Ordinal));
        Assert.Equal(principles.Count, principles.Select(p => p.Name).Distinct().Count());
    }

    [Fact]
    public void A_rounds_principle_depends_only_on_seed_item_and_round()
    {
        var c = Constitution.Default;
        Assert.Equal(c.For(7, "item-1", 1), c.For(7, "item-1", 1));

        // Over many items, rounds and seeds pick differently: the draw uses all three.
        var byItem = Enumerable.Range(0, 50).Select(i => c.For(7, $"item-{i}", 1).Name).Distinct().Count();
        var byRound = Enumerable.Range(1, 4).Select(r => c.For(7, "item-1", r).Name).ToList();
        var bySeed = Enumerable.Range(0, 50).Select(s => c.For(s, "item-1", 1).Name).Distinct().Count();
        Assert.True(byItem > 6, $"{byItem} distinct principles over 50 items");
        Assert.True(bySeed > 6, $"{bySeed} distinct principles over 50 seeds");
        Assert.Contains(Enumerable.Range(0, 20), i => c.For(7, $"item-{i}", 1) != c.For(7, $"item-{i}", 2));
        Assert.Equal(4, byRound.Count);
    }

    [Fact]
    public void A_file_is_parsed_and_its_errors_name_each_field()
    {
        var errors = new List<string>();
        var ok = Constitution.Parse(Encoding.UTF8.GetBytes("""{"name": "mine", "principles": [{"name": "p", "critique": "c", "revision": "r"}]}"""), errors);
        Assert.Empty(errors);
        Assert.Equal("mine", ok!.Name);
        Assert.Equal(new Principle("p", "c", "r"), Assert.Single(ok.Principles));

        var bad = Constitution.Parse(Encoding.UTF8.GetBytes("""{"principles": [{"name": "p", "critique": ""}, 3]}"""), errors);
        Assert.Null(bad);
        Assert.Equal(["principles[0].critique: required, a non-empty string.", "principles[0].revision: required, a non-empty string.",
            "principles[1]: expected an object with name, critique and revision."], errors);

        errors.Clear();
        Assert.Null(Constitution.Parse(Encoding.UTF8.GetBytes("""{"principles": []}"""), errors));
        Assert.Contains("at least one principle", Assert.Single(errors));

        errors.Clear();
        Assert.Null(Constitution.Parse(Encoding.UTF8.GetBytes("not json"), errors));
        Assert.StartsWith("not valid JSON", Assert.Single(errors));
    }

    [Fact]
    public async Task Rounds_each_revise_the_text_the_round_before_produced_under_their_principle()
    {
        var principles = new[] { new Principle("one", "look at one", "fix one"), new Principle("two", "look at two", "fix two") };
        var chat = FakeChatClient.Queued("critique 1", "draft 2", "critique 2", "draft 3");

        var result = await new ConstitutionalReviser(chat).ReviseAsync("p", "draft 1", principles, CancellationToken.None);

        Assert.Equal("draft 3", result.Revised);
        Assert.Equal("critique 2", result.Critique);
        Assert.Equal([new RevisionRoundView(1, "one", "critique 1", "draft 2"), new RevisionRoundView(2, "two", "critique 2", "draft 3")],
            result.Rounds!.Select(r => new RevisionRoundView(r.Round, r.Principle, r.Critique, r.Revision)));
        var calls = chat.Calls;
        Assert.Equal("draft 1", calls[0].Messages[1].Text);
        Assert.EndsWith("In particular: look at one", calls[0].Messages[2].Text);
        Assert.Contains("In particular: fix one", calls[1].Messages[4].Text);
        // Round two critiques round one's revision, not the original.
        Assert.Equal("draft 2", calls[2].Messages[1].Text);
        Assert.EndsWith("In particular: look at two", calls[2].Messages[2].Text);
    }

    sealed record RevisionRoundView(int Round, string Principle, string Critique, string Revision);
}
