using System.Buffers;
using System.Runtime.CompilerServices;

namespace SynthPref.Orchestration.Input;

/// <summary>One physical line of a JSONL file: 1-based number, where its bytes start and how many there are
/// (without the line break), and the bytes themselves unless the line is longer than allowed.</summary>
public readonly record struct JsonlLine(int Number, long Offset, int Length, ReadOnlyMemory<byte> Bytes, bool TooLong)
{
    public bool IsBlank => !TooLong && Bytes.Span.Trim(" \t\r"u8).IsEmpty;
}

/// <summary>
/// Reads JSONL as bytes, a line at a time, so memory stays flat however large the file, and every line's byte range
/// is known: the run's manifest keeps them, and each item is later read back with one ranged request.
/// </summary>
public static class JsonlLines
{
    static readonly byte[] Bom = [0xEF, 0xBB, 0xBF];

    public static async IAsyncEnumerable<JsonlLine> ReadAsync(Stream stream, int maxLineBytes,
        [EnumeratorCancellation] CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
        try
        {
            int start = 0, end = 0, number = 1;
            long bufferOffset = 0; // file offset of buffer[0]
            var skipping = false;   // inside a line already known to be too long
            long skippedFrom = 0;
            var eof = false;
            while (true)
            {
                var newline = Array.IndexOf(buffer, (byte)'\n', start, end - start);
                if (newline < 0 && !eof)
                {
                    if (skipping)
                    {
                        bufferOffset += end;
                        start = end = 0;
                    }
                    else if (end - start > maxLineBytes)
                    {
                        skipping = true;
                        skippedFrom = bufferOffset + start;
                        bufferOffset += end;
                        start = end = 0;
                    }
                    else
                    {
                        if (start > 0)
                        {
                            Buffer.BlockCopy(buffer, start, buffer, 0, end - start);
                            bufferOffset += start;
                            end -= start;
                            start = 0;
                        }
                        if (end == buffer.Length)
                        {
                            var larger = ArrayPool<byte>.Shared.Rent(Math.Min(buffer.Length * 2, maxLineBytes + 2));
                            Buffer.BlockCopy(buffer, 0, larger, 0, end);
                            ArrayPool<byte>.Shared.Return(buffer);
                            buffer = larger;
                        }
                    }
                    var read = await stream.ReadAsync(buffer.AsMemory(end, buffer.Length - end), ct).ConfigureAwait(false);
                    if (read == 0) eof = true;
                    end += read;
                    continue;
                }

                var lineEnd = newline < 0 ? end : newline;
                if (skipping)
                {
                    var length = bufferOffset + lineEnd - skippedFrom;
                    yield return new JsonlLine(number, skippedFrom, (int)Math.Min(length, int.MaxValue), ReadOnlyMemory<byte>.Empty, TooLong: true);
                    skipping = false;
                }
                else if (newline >= 0 || lineEnd > start)
                {
                    var lineStart = start;
                    var contentEnd = lineEnd > lineStart && buffer[lineEnd - 1] == (byte)'\r' ? lineEnd - 1 : lineEnd;
                    if (number == 1 && buffer.AsSpan(lineStart, contentEnd - lineStart).StartsWith(Bom))
                        lineStart += Bom.Length;
                    var length = contentEnd - lineStart;
                    yield return length > maxLineBytes
                        ? new JsonlLine(number, bufferOffset + lineStart, length, ReadOnlyMemory<byte>.Empty, TooLong: true)
                        : new JsonlLine(number, bufferOffset + lineStart, length, buffer.AsMemory(lineStart, length).ToArray(), TooLong: false);
                }
                if (newline < 0) yield break;
                number++;
                start = newline + 1;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
