using Markdig;
using Markdig.Helpers;
using Markdig.Renderers.Html;
using Markdig.Syntax;
using Markdig.Syntax.Inlines;

namespace SynthPref.Orchestration.Reviews;

/// <summary>
/// Responses as reviewers read them: Markdown rendered on the server with raw HTML disabled (a response's own tags are
/// shown as text). Links stay links only for http, https and mailto; any other target (javascript:, data:, a path on
/// this host) leaves just the link's text. Images become links to them, so opening an item fetches nothing from
/// elsewhere. Extensions that let the text set attributes (generic attributes) are left out.
/// </summary>
static class ReviewMarkdown
{
    static readonly MarkdownPipeline Pipeline = new MarkdownPipelineBuilder()
        .DisableHtml()
        .UsePipeTables()
        .UseEmphasisExtras()
        .UseTaskLists()
        .UseAutoLinks()
        .Build();

    static readonly string[] SafeSchemes = ["http", "https", "mailto"];

    public static string ToHtml(string? markdown)
    {
        var document = Markdown.Parse(markdown ?? "", Pipeline);
        foreach (var link in document.Descendants<LinkInline>().ToList())
        {
            if (!IsSafe(link.Url))
            {
                Unwrap(link);
                continue;
            }
            if (link.IsImage)
            {
                link.IsImage = false;
                if (link.FirstChild is null) link.AppendChild(new LiteralInline(link.Url!));
            }
            // A reviewer following a link leaves the page in a new tab; the target learns nothing of where from.
            link.GetAttributes().AddPropertyIfNotExist("rel", "noopener noreferrer nofollow");
            link.GetAttributes().AddPropertyIfNotExist("target", "_blank");
        }
        foreach (var link in document.Descendants<AutolinkInline>().ToList())
        {
            if (IsSafe(link.Url)) link.GetAttributes().AddPropertyIfNotExist("target", "_blank");
            else link.ReplaceBy(new LiteralInline(new StringSlice(link.Url)));
        }
        return document.ToHtml(Pipeline);
    }

    /// <summary>Puts the link's text where the link was.</summary>
    static void Unwrap(LinkInline link)
    {
        var child = link.FirstChild;
        while (child is not null)
        {
            var next = child.NextSibling;
            child.Remove();
            link.InsertBefore(child);
            child = next;
        }
        link.Remove();
    }

    static bool IsSafe(string? url) =>
        url is not null && Uri.TryCreate(url.Trim(), UriKind.Absolute, out var uri)
        && SafeSchemes.Contains(uri.Scheme, StringComparer.OrdinalIgnoreCase);
}
