using System.Xml.Linq;
using SynthPref.Orchestration.Agreement;
using SynthPref.Orchestration.Judging;
using SynthPref.Orchestration.Reporting;

namespace SynthPref.Tests.Unit;

public class ReportChartsTests
{
    const string Evil = "<b>x</b> & 'co'";

    static RunReport WithVotes(params (string Category, int Agree, int Disagree)[] categories)
    {
        var votes = categories.SelectMany(c => Enumerable.Repeat(new Vote(c.Category, Preference.A, Preference.A), c.Agree)
            .Concat(Enumerable.Repeat(new Vote(c.Category, Preference.B, Preference.A), c.Disagree))).ToList();
        return ReportFactory.Build() with { Agreement = AgreementCalculator.Compute(votes) };
    }

    [Fact]
    public void Every_chart_is_inline_svg_with_text_encoded_ids_prefixed_and_no_address()
    {
        var report = WithVotes((Evil, 3, 9), ("chat", 10, 2), ("few", 1, 1));
        var charts = ReportChartSet.For(report);
        string[] svgs = [charts.CategoryAgreement!, charts.Confusion!, charts.LengthPreference!];
        foreach (var svg in svgs)
        {
            var root = XElement.Parse(svg);
            var id = root.Attribute("data-chart")!.Value;
            Assert.Equal("svg", root.Name.LocalName);
            Assert.Equal(XNamespace.None, root.Name.Namespace);
            Assert.NotNull(root.Attribute("viewBox"));
            Assert.DoesNotContain("http", svg);
            Assert.DoesNotContain("<b>", svg, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("<image", svg);
            Assert.All(root.Descendants().Where(e => e.Attribute("id") is not null), e => Assert.StartsWith(id + "-", e.Attribute("id")!.Value));
            Assert.All(root.Descendants().Select(e => e.Attribute("clip-path")?.Value).OfType<string>(), v => Assert.StartsWith($"url(#{id}-", v));
            // Text is there at all only when a typeface measured it.
            var texts = root.Descendants("text").Select(t => t.Value).ToList();
            Assert.True(texts.Count >= 5, $"{id}: {texts.Count} texts");
            Assert.All(root.Descendants("text"), t => Assert.DoesNotContain(",", t.Attribute("x")?.Value ?? ""));
        }
        Assert.Contains("&lt;b&gt;x&lt;/b&gt; &amp; 'co' (12)", charts.CategoryAgreement);
        // The ranked categories come first, most divergent at the top (drawn first), then the one with too few votes.
        var labels = XElement.Parse(charts.CategoryAgreement!).Descendants("text").Select(t => t.Value).ToList();
        Assert.True(labels.IndexOf("<b>x</b> & 'co' (12)") < labels.IndexOf("chat (12)"));
        Assert.True(labels.IndexOf("chat (12)") < labels.IndexOf("few (2)"));
    }

    [Fact]
    public void Two_charts_on_one_page_never_share_an_id()
    {
        var html = HtmlReport.Render(WithVotes(("a", 5, 5), ("b", 9, 1)));
        var ids = System.Text.RegularExpressions.Regex.Matches(html, "id=\"([^\"]+)\"").Select(m => m.Groups[1].Value).ToList();
        Assert.NotEmpty(ids);
        Assert.Equal(ids.Count, ids.Distinct().Count());
        // Categories, confusion and length; the factory's report has no first-position share to draw.
        Assert.Equal(3, System.Text.RegularExpressions.Regex.Count(html, "<svg "));
    }

    [Fact]
    public void Charts_with_nothing_to_draw_are_left_out()
    {
        var empty = ReportFactory.Build() with { Agreement = AgreementCalculator.Compute([]) };
        Assert.Null(ReportCharts.CategoryAgreement(empty.Agreement));
        Assert.Null(ReportCharts.Confusion(empty.Agreement.Confusion));
        Assert.Null(ReportCharts.FirstPosition(empty.Bias.Position)); // the factory's position share is null
        Assert.DoesNotContain("<svg", HtmlReport.Render(empty with
        {
            Bias = empty.Bias with { Length = empty.Bias.Length with { Share = null } },
        }));
    }

    [Fact]
    public void The_embedded_font_measures_text_whatever_the_machine_has()
    {
        EmbeddedFont.Register();
        using var typeface = ScottPlot.Fonts.FontResolvers[0].CreateTypeface(EmbeddedFont.Family, false, false)!;
        Assert.Equal("DejaVu Sans", typeface.FamilyName);
        Assert.True(typeface.GlyphCount > 3000);
        // Its own glyphs, not a fallback: Greek kappa and alpha, as the report writes them.
        Assert.NotEqual((ushort)0, typeface.GetGlyph('κ'));
        Assert.NotEqual((ushort)0, typeface.GetGlyph('α'));
    }
}
