using System.Text.RegularExpressions;
using SynthPref.Orchestration.Reviews;
using SynthPref.Tests.Infrastructure;

namespace SynthPref.Tests.Unit;

/// <summary>The review page as the Razor components render it; the browser tests (EndToEnd/ReviewPageTests) drive it.</summary>
public sealed partial class ReviewPageHtmlTests
{
    static readonly string PageFolder = Path.Combine(RepoPaths.Root, "SynthPref.Orchestration", "Reviews", "Page");

    [Fact]
    public async Task Its_style_and_script_carry_the_answers_nonce_and_are_the_pages_own_files()
    {
        var nonce = ReviewPageHtml.NewNonce();
        var html = await ReviewPageHtml.RenderAsync("run-1", nonce);

        Assert.Matches("^[A-Za-z0-9_-]{24}$", nonce);
        Assert.Equal(2, Regex.Matches(ReviewPageHtml.ContentSecurityPolicy(nonce), $"'nonce-{Regex.Escape(nonce)}'").Count);
        Assert.StartsWith("<!doctype html>", html);
        Assert.Contains($"<style nonce=\"{nonce}\">", html);
        Assert.Contains($"<script nonce=\"{nonce}\">", html);
        Assert.Single(Regex.Matches(html, "<script"));
        Assert.DoesNotContain("suppress-error", html);
        Assert.Contains(await File.ReadAllTextAsync(Path.Combine(PageFolder, "review-page.js")), html);
        Assert.Contains(await File.ReadAllTextAsync(Path.Combine(PageFolder, "review-page.css")), html);
        Assert.Contains("<title>SynthPref review · run-1</title>", html);
        Assert.Contains("<span class=\"muted\">run run-1</span>", html);
    }

    [Fact]
    public async Task Every_element_the_script_looks_up_is_on_the_page()
    {
        var html = await ReviewPageHtml.RenderAsync("run-1", "n");
        var script = await File.ReadAllTextAsync(Path.Combine(PageFolder, "review-page.js"));
        var ids = IdLookup().Matches(script).Select(m => m.Groups[1].Value).Distinct().ToList();

        Assert.True(ids.Count > 20, $"only {ids.Count} ids found in the script");
        Assert.All(ids, id => Assert.Contains($"id=\"{id}\"", html));
        // The three labels and their keys.
        foreach (var (preference, key) in new[] { ("first", "1"), ("second", "2"), ("tie", "0") })
            Assert.Contains($"<button type=\"button\" data-preference=\"{preference}\"><kbd>{key}</kbd>", html);
        Assert.Contains("Reviewing as <strong id=\"reviewer\"></strong> <button id=\"change-name\"", html);
        Assert.Contains($"maxlength=\"{ReviewService.MaxReviewerChars}\"", html);
    }

    [Fact]
    public async Task The_run_id_is_encoded_by_the_template()
    {
        var html = await ReviewPageHtml.RenderAsync("a<b&\"c", "n");

        Assert.Contains("run a&lt;b&amp;&quot;c", html);
        Assert.DoesNotContain("a<b", html);
    }

    [GeneratedRegex("""(?:\$|show)\("([a-z-]+)"[,)]""")]
    private static partial Regex IdLookup();
}
