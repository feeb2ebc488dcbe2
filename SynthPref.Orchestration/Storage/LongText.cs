using Azure.Data.Tables;

namespace SynthPref.Orchestration.Storage;

/// <summary>
/// Table Storage caps a string property at 64 KiB (32K UTF-16 chars), so long texts are split over
/// numbered properties (Name, Name_1, Name_2...) and joined back on read.
/// </summary>
public static class LongText
{
    const int ChunkChars = 30_000;

    public static void Write(TableEntity entity, string name, string? text)
    {
        if (text is null) return;
        var chunk = 0;
        for (var offset = 0; offset == 0 || offset < text.Length; offset += ChunkChars, chunk++)
        {
            var part = text.Substring(offset, Math.Min(ChunkChars, text.Length - offset));
            entity[chunk == 0 ? name : $"{name}_{chunk}"] = part;
        }
    }

    public static string? Read(TableEntity entity, string name)
    {
        if (entity.GetString(name) is not { } first) return null;
        var text = new System.Text.StringBuilder(first);
        for (var chunk = 1; entity.GetString($"{name}_{chunk}") is { } part; chunk++)
            text.Append(part);
        return text.ToString();
    }
}
