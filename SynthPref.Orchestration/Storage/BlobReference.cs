namespace SynthPref.Orchestration.Storage;

/// <summary>"container/path" as requests name blobs (<c>inputBlob</c>, <c>constitution</c>).</summary>
public static class BlobReference
{
    /// <summary>Blob Storage's own limits: a name of 1 to 1,024 characters in at most 254 segments.</summary>
    public const int MaxNameChars = 1024;
    public const int MaxSegments = 254;

    public static bool TryParse(string reference, out string container, out string path)
    {
        var slash = reference.IndexOf('/');
        var valid = slash > 0 && slash < reference.Length - 1;
        container = valid ? reference[..slash] : "";
        path = valid ? reference[(slash + 1)..] : "";
        return valid;
    }

    /// <summary>
    /// Why <paramref name="reference"/> cannot name a blob, checked before any storage call; null when it can. Beyond
    /// what Blob Storage refuses (container names, lengths, control characters), a name with '#' or '?' is refused too:
    /// every URL made from it would read them as its fragment or query, and a backslash, which some tools turn into '/'.
    /// <paramref name="form"/> is the example the message gives ("container/path.jsonl").
    /// </summary>
    public static string? Problem(string reference, string form)
    {
        if (!TryParse(reference, out var container, out var path))
            return $"'{StorageKeys.Printable(reference)}' must have the form '{form}'.";
        if (ContainerProblem(container) is { } badContainer)
            return $"'{StorageKeys.Printable(reference)}': the container name {badContainer}";
        if (path.Length > MaxNameChars)
            return $"the blob name is {path.Length} characters long; Blob Storage takes at most {MaxNameChars}.";
        for (var i = 0; i < path.Length; i++)
        {
            var c = path[i];
            if (char.IsHighSurrogate(c) && i + 1 < path.Length && char.IsLowSurrogate(path[i + 1]))
            {
                i++;
                continue;
            }
            if (char.IsControl(c) || char.IsSurrogate(c) || c is '\\' or '#' or '?')
                return $"'{StorageKeys.Printable(reference)}' holds {StorageKeys.Describe(c)}, which a blob name here may not: name the blob without it.";
        }
        var segments = path.Split('/');
        if (segments.Length > MaxSegments)
            return $"'{StorageKeys.Printable(reference)}' has {segments.Length} path segments; Blob Storage takes at most {MaxSegments}.";
        if (segments.Any(segment => segment is "." or ".." or "") || path.EndsWith('.'))
            return $"'{StorageKeys.Printable(reference)}' has an empty, '.' or '..' path segment or ends with '.'; name the blob itself.";
        return null;
    }

    /// <summary>Blob Storage's rule: 3 to 63 lower-case letters, digits and single hyphens, starting and ending with a
    /// letter or digit.</summary>
    public static string? ContainerProblem(string container)
    {
        if (container.Length is < 3 or > 63)
            return $"'{StorageKeys.Printable(container)}' must be 3 to 63 characters long.";
        if (!container.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-')
            || container[0] == '-' || container[^1] == '-' || container.Contains("--", StringComparison.Ordinal))
            return $"'{StorageKeys.Printable(container)}' may hold only lower-case letters, digits and single hyphens, starting and ending with a letter or digit.";
        return null;
    }
}
