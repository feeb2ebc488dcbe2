using SynthPref.Orchestration.Agreement;
using SynthPref.Orchestration.Judging;
using SynthPref.Orchestration.Reporting;

namespace SynthPref.Tests.Unit;

public class HtmlReportTests
{
    const string Evil = "<script>alert('x')</script>";

    [Fact]
    public void User_text_is_html_encoded()
    {
        var html = HtmlReport.Render(ReportFactory.Build(Evil));

        Assert.DoesNotContain("<script", html, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;", html);
        Assert.Contains("Nightly &lt;batch&gt;", html);
        Assert.DoesNotContain("Nightly <batch>", html);
    }

    [Fact]
    public void Page_is_self_contained()
    {
        var html = HtmlReport.Render(ReportFactory.Build());

        Assert.StartsWith("<!DOCTYPE html>", html);
        Assert.Contains("<style>", html);
        Assert.DoesNotContain("<link", html);
        Assert.DoesNotContain("src=", html);
        Assert.DoesNotContain("http", html);
    }

    [Fact]
    public void Key_figures_are_shown_with_one_decimal()
    {
        var html = HtmlReport.Render(ReportFactory.Build());

        Assert.Contains("run-42", html);
        Assert.Contains("<dd>30</dd>", html);           // total pairs
        Assert.Contains("<dd>80.0%</dd>", html);        // longer-preferred share
        Assert.Contains("<dd>12.5%</dd>", html);        // position inconsistency rate
        Assert.Contains("66.7% (4 of 6)", html);        // overall agreement
        Assert.Contains("80.0% (n = 5)", html);         // excluding ties
        Assert.Contains("75.0% (3 of 4)", html);        // on judge pairs
        Assert.Contains("50.0% (1 of 2)", html);        // on revision pairs
        Assert.Contains("deadline", html);              // review ended by
        Assert.Matches(@"\d+\.\d%\s–\s\d+\.\d%", html); // a Wilson interval
    }

    [Fact]
    public void Length_warning_badge_appears_only_when_warning()
    {
        Assert.Contains("badge warn", HtmlReport.Render(ReportFactory.Build(lengthWarning: true)));
        Assert.DoesNotContain("badge warn", HtmlReport.Render(ReportFactory.Build(lengthWarning: false)));
    }

    [Fact]
    public void Self_preference_and_format_sections_have_their_badges()
    {
        var report = ReportFactory.Build(lengthWarning: false);
        var html = HtmlReport.Render(report);
        Assert.Contains("<h2>Self-preference <span class=\"badge ok\">within range</span></h2>", html);
        Assert.Contains("<dd>60.0%</dd>", html);
        Assert.Contains("<h2>List/format bias <span class=\"badge na\">no data</span></h2>", html);

        var warned = report with
        {
            Bias = report.Bias with
            {
                SelfPreference = new(Pairs: 10, OwnPreferred: 8, Share: 0.8, Warning: true),
                Format = new(Pairs: 10, FormattedPreferred: 2, Share: 0.2, Warning: true),
            },
        };
        html = HtmlReport.Render(warned);
        Assert.Contains("Warning: judge favours its own model&#x27;s responses", html);
        Assert.Contains("Warning: judge favours plain responses", html);

        html = HtmlReport.Render(report with { Bias = report.Bias with { SelfPreference = new(0, 0, null, false) } });
        Assert.Contains("<h2>Self-preference <span class=\"badge na\">no data</span></h2>", html);
    }

    [Fact]
    public void Category_table_lists_ranked_categories_by_rate_then_unranked_ones_and_marks_significant_divergence()
    {
        // At the default minimum of 10 votes, neither "Code Review" (2 votes) nor "chat" (4) is ranked: chat, with more
        // votes, is listed first, and both say they have too few votes.
        var html = HtmlReport.Render(ReportFactory.Build("Code Review"));
        Assert.True(html.IndexOf("<td>chat", StringComparison.Ordinal) < html.IndexOf("<td>Code Review", StringComparison.Ordinal));
        Assert.Contains("<tr class=\"unranked\"><td>Code Review <span class=\"badge hl\">too few votes to rank</span></td>", html);
        Assert.DoesNotContain("diverges significantly", html);
        Assert.Contains("No category has the 10 votes needed to rank it (the most any has is 4)", html);

        // With 10 votes each, "bad" (0 of 10, interval up to 27.8%) sits wholly below the overall rate (20 of 30) and is
        // marked; "good" is ranked after it; "few" is listed last, unranked.
        var votes = Enumerable.Repeat(new Vote("bad", Preference.A, Preference.B), 10)
            .Concat(Enumerable.Repeat(new Vote("good", Preference.A, Preference.A), 20))
            .Concat([new Vote("few", Preference.A, Preference.A)])
            .ToList();
        html = HtmlReport.Render(ReportFactory.Build() with { Agreement = AgreementCalculator.Compute(votes) });
        int bad = html.IndexOf("<td>bad", StringComparison.Ordinal), good = html.IndexOf("<td>good", StringComparison.Ordinal);
        int few = html.IndexOf("<td>few", StringComparison.Ordinal);
        Assert.True(bad > 0 && good > bad && few > good, "ranked categories by rate, then the unranked");
        Assert.Contains("<tr class=\"divergent\"><td>bad <span class=\"badge warn\">diverges significantly</span></td>", html);
        Assert.Contains("<tr><td>good</td>", html);
    }

    [Fact]
    public void Formatting_ignores_the_current_culture()
    {
        var previous = System.Globalization.CultureInfo.CurrentCulture;
        try
        {
            System.Globalization.CultureInfo.CurrentCulture = new System.Globalization.CultureInfo("de-DE");
            var html = HtmlReport.Render(ReportFactory.Build());
            Assert.Contains("66.7%", html);
            Assert.DoesNotContain("66,7%", html);
        }
        finally
        {
            System.Globalization.CultureInfo.CurrentCulture = previous;
        }
    }
}
