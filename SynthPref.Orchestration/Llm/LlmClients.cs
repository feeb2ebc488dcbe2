using System.Collections.Concurrent;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.Logging;

namespace SynthPref.Orchestration.Llm;

/// <summary>
/// One client per configured section, built on first use and shared by everything that calls it, so each endpoint has
/// its own concurrency limit and cache identity whichever item or role calls it. The <c>Llm</c> section's client is
/// the host's shared <see cref="IChatClient"/>. Callers get it wrapped in their role, which is what usage is counted by.
/// </summary>
/// <remarks>The shared client comes through a function: a host with an unusable <c>Llm</c> section still starts (and
/// refuses runs saying why), so nothing may build that client before a call needs it.</remarks>
public sealed class LlmClients(LlmSections sections, Func<IChatClient> shared, JudgePromptReader reader, JudgeAnswerWriter? writer,
    IDistributedCache? cache, ILoggerFactory? loggerFactory) : IDisposable
{
    readonly ConcurrentDictionary<string, Lazy<IChatClient>> bySection = new(StringComparer.OrdinalIgnoreCase);

    public LlmSections Sections => sections;

    /// <summary>The client for <paramref name="role"/>, counted under that role.</summary>
    public IChatClient ForRole(string role)
    {
        var (section, options) = sections.ForRole(role);
        var client = section == LlmOptions.SectionName
            ? shared()
            : bySection.GetOrAdd(section, s => new Lazy<IChatClient>(() =>
                ChatClientFactory.Create(options, reader, cache, loggerFactory, s, writer))).Value;
        return client.ForRole(role);
    }

    /// <summary>What is wrong with the section a role would use, each problem naming its key; empty when usable.</summary>
    public IReadOnlyList<string> Problems(string role)
    {
        var (section, options) = sections.ForRole(role);
        return options.Validate(section);
    }

    public void Dispose()
    {
        foreach (var client in bySection.Values.Where(l => l.IsValueCreated))
            client.Value.Dispose();
    }
}
