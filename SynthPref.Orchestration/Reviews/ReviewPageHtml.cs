using System.Reflection;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using SynthPref.Orchestration.Rendering;
using SynthPref.Orchestration.Reviews.Page;

namespace SynthPref.Orchestration.Reviews;

/// <summary>
/// The blind review page: Razor components (Reviews/Page) rendered by <see cref="RazorHtml"/>, with their own style and
/// script (review-page.css, review-page.js, embedded). It holds no data itself: the browser reads the token from its own
/// URL (the fragment) and calls the same review endpoints as any other client, so the page can never show more than the
/// API does, and the API gives reviewers no verdict, source or input id. One item at a time: the prompt, then the two
/// responses side by side (stacked on a phone), rendered from Markdown by the server or shown raw. Keys 1, 2 and 0 label,
/// ← and → move. A label is kept in the browser (localStorage) until the server has accepted it, so a failed or
/// interrupted submit is retried, from the page or after a reload, and never lost. The page asks for new items every few
/// seconds (cheaply: 304 until a round adds some), so an adaptive run's later rounds appear without a reload.
/// </summary>
public static class ReviewPageHtml
{
    internal static readonly string Style = Resource("SynthPref.review-page.css");
    internal static readonly string Script = Resource("SynthPref.review-page.js");

    /// <summary>Only the page's own script (by nonce) and style run; it talks to this host alone, and loads nothing
    /// from anywhere else.</summary>
    public static string ContentSecurityPolicy(string nonce) =>
        $"default-src 'none'; script-src 'nonce-{nonce}'; style-src 'nonce-{nonce}'; connect-src 'self'; img-src data:; " +
        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    /// <summary>A nonce for one answer: 18 random bytes in URL-safe base64, which HTML encoding leaves as it is, so the
    /// attribute on the page reads exactly as the policy names it.</summary>
    public static string NewNonce() =>
        Convert.ToBase64String(RandomNumberGenerator.GetBytes(18)).Replace('+', '-').Replace('/', '_');

    public static Task<string> RenderAsync(string runId, string nonce) =>
        RazorHtml.RenderAsync<ReviewPage>(new Dictionary<string, object?>
        {
            [nameof(ReviewPage.RunId)] = runId,
            [nameof(ReviewPage.Nonce)] = nonce,
        });

    /// <summary>The page as an answer, under a Content-Security-Policy that lets only its own script run (by a nonce made
    /// for this answer) and lets it talk only to this host: rendered responses can hold links, never script, and
    /// nothing on the page loads from elsewhere. No referrer leaves it, and nothing is sniffed.</summary>
    public static async Task<ContentHttpResult> AnswerAsync(string runId, HttpResponse response)
    {
        var nonce = NewNonce();
        response.Headers.ContentSecurityPolicy = ContentSecurityPolicy(nonce);
        response.Headers["Referrer-Policy"] = "no-referrer";
        response.Headers["X-Content-Type-Options"] = "nosniff";
        return TypedResults.Content(await RenderAsync(runId, nonce), "text/html; charset=utf-8");
    }

    static string Resource(string name)
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream(name)
            ?? throw new InvalidOperationException($"The review page's {name} is not embedded in {Assembly.GetExecutingAssembly().GetName().Name}.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
