using System.Text;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;
using SynthPref.Orchestration.Storage;

namespace SynthPref.Orchestration.Reporting;

/// <summary>The run's deliverables under synthpref-output/{runId}/.</summary>
public sealed class OutputStore(StorageClients storage)
{
    public const string ReportJsonName = "report.json";
    public const string ReportHtmlName = "report.html";
    public const string DatasetName = "dataset.jsonl";

    /// <summary>The escalated pairs no reviewer labelled; written only by runs with trustTarget.</summary>
    public const string EscalatedName = "escalated.jsonl";

    BlobContainerClient Output => storage.Container(StorageNames.OutputContainer);

    public static string PathOf(string runId, string name) => $"{StorageNames.OutputContainer}/{runId}/{name}";

    public async Task<string> WriteAsync(string runId, string name, string content, string contentType, CancellationToken ct)
    {
        await Output.GetBlobClient($"{runId}/{name}").UploadAsync(BinaryData.FromString(content),
            new BlobUploadOptions { HttpHeaders = new BlobHttpHeaders { ContentType = contentType } }, ct);
        return PathOf(runId, name);
    }

    /// <summary>A deliverable written as a stream, staged in blocks of a few MB as it is written so a large file is
    /// never held whole. Nothing of it is visible until <see cref="StagedBlobStream.CommitAsync"/>: a pass that fails
    /// midway leaves the file as it was (an earlier pass's complete one, or none).</summary>
    public StagedBlobStream OpenWrite(string runId, string name, string contentType, int blockBytes = 4 * 1024 * 1024) =>
        new(Output.GetBlockBlobClient($"{runId}/{name}"), PathOf(runId, name), contentType, blockBytes);

    public async Task<Stream?> OpenAsync(string runId, string name, CancellationToken ct)
    {
        try
        {
            return await Output.GetBlobClient($"{runId}/{name}").OpenReadAsync(cancellationToken: ct);
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return null;
        }
    }
}

/// <summary>
/// A write-only stream to a block blob that stages each full buffer as an uncommitted block and commits them all,
/// with the content type, only when asked. The SDK's own write stream uploads an empty blob when it opens and commits
/// what it staged when it is disposed, so a failure midway would replace a complete file with part of one; disposed
/// without a commit, this one changes nothing, and the service drops its uncommitted blocks.
/// </summary>
public sealed class StagedBlobStream(BlockBlobClient blob, string path, string contentType, int blockBytes) : Stream
{
    // Block ids must all have one length; the writer's own prefix keeps a concurrent writer of the same blob (a
    // retried pass) from staging over this one's blocks.
    readonly string writer = Guid.NewGuid().ToString("N");
    readonly List<string> blocks = [];
    readonly MemoryStream buffer = new();
    long length;

    /// <summary>Where the blob is, as the run's outputs name it.</summary>
    public string Path => path;

    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => length;

    public override long Position
    {
        get => length;
        set => throw new NotSupportedException();
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> data, CancellationToken ct = default)
    {
        while (!data.IsEmpty)
        {
            var take = (int)Math.Min(data.Length, blockBytes - buffer.Length);
            buffer.Write(data.Span[..take]);
            data = data[take..];
            length += take;
            if (buffer.Length >= blockBytes) await StageAsync(ct).ConfigureAwait(false);
        }
    }

    public override Task WriteAsync(byte[] bytes, int offset, int count, CancellationToken ct) =>
        WriteAsync(bytes.AsMemory(offset, count), ct).AsTask();

    public override void Write(byte[] bytes, int offset, int count) => WriteAsync(bytes, offset, count, default).GetAwaiter().GetResult();

    /// <summary>Stages what is buffered and commits every block: from here on the blob is this content.</summary>
    public async Task CommitAsync(CancellationToken ct)
    {
        await StageAsync(ct).ConfigureAwait(false);
        await blob.CommitBlockListAsync(blocks, new CommitBlockListOptions { HttpHeaders = new BlobHttpHeaders { ContentType = contentType } }, ct)
            .ConfigureAwait(false);
    }

    async Task StageAsync(CancellationToken ct)
    {
        if (buffer.Length == 0) return;
        var id = Convert.ToBase64String(Encoding.ASCII.GetBytes($"{writer}-{blocks.Count:D6}"));
        buffer.Position = 0;
        await blob.StageBlockAsync(id, buffer, cancellationToken: ct).ConfigureAwait(false);
        blocks.Add(id);
        buffer.SetLength(0);
    }

    // Nothing is sent before the commit: a flush has nothing to do.
    public override void Flush()
    {
    }

    public override int Read(byte[] bytes, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing) buffer.Dispose();
        base.Dispose(disposing);
    }
}
