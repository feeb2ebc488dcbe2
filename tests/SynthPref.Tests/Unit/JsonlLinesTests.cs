using System.Text;
using SynthPref.Orchestration.Input;

namespace SynthPref.Tests.Unit;

public sealed class JsonlLinesTests
{
    [Fact]
    public async Task Every_line_is_found_with_the_byte_range_that_holds_it_across_buffer_refills()
    {
        // Enough text to cross the reader's first 64 KiB buffer many times, lines of every length, CRLF and LF mixed.
        var random = new Random(3);
        var lines = Enumerable.Range(0, 3_000).Select(i => new string((char)('a' + i % 26), random.Next(0, 300)) + "é").ToList();
        var text = new StringBuilder("\uFEFF");
        foreach (var (line, i) in lines.Select((l, i) => (l, i)))
            text.Append(line).Append(i % 3 == 0 ? "\r\n" : "\n");
        var bytes = Encoding.UTF8.GetBytes(text.ToString());

        var read = new List<JsonlLine>();
        await foreach (var line in JsonlLines.ReadAsync(new MemoryStream(bytes), maxLineBytes: 10_000))
            read.Add(line);

        Assert.Equal(lines.Count, read.Count);
        for (var i = 0; i < lines.Count; i++)
        {
            Assert.Equal(i + 1, read[i].Number);
            Assert.Equal(lines[i], Encoding.UTF8.GetString(bytes, (int)read[i].Offset, read[i].Length));
            Assert.Equal(lines[i], Encoding.UTF8.GetString(read[i].Bytes.Span));
        }
    }

    [Fact]
    public async Task A_line_over_the_limit_is_reported_without_its_bytes_and_the_rest_is_read()
    {
        var bytes = Encoding.UTF8.GetBytes("short\n" + new string('x', 200_000) + "\nafter");
        var read = new List<JsonlLine>();
        await foreach (var line in JsonlLines.ReadAsync(new MemoryStream(bytes), maxLineBytes: 1_000))
            read.Add(line);

        Assert.Equal([1, 2, 3], read.Select(l => l.Number));
        Assert.True(read[1].TooLong);
        Assert.Equal(200_000, read[1].Length);
        Assert.True(read[1].Bytes.IsEmpty);
        Assert.Equal("after", Encoding.UTF8.GetString(read[2].Bytes.Span));
        Assert.Equal(bytes.Length - 5, read[2].Offset);
    }
}
