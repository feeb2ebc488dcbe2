using Microsoft.AspNetCore.Http;

namespace SynthPref.Orchestration.Api;

/// <summary>A request body went past the limit named in <see cref="Setting"/> while it was being read.</summary>
public sealed class RequestTooLargeException(long limit, string setting)
    : Exception($"The request body is larger than {limit} bytes, the limit ({setting}).")
{
    public long Limit { get; } = limit;
    public string Setting { get; } = setting;
}

/// <summary>
/// Bodies are bounded by the handlers themselves rather than by the server alone, so both hosts refuse the same
/// bodies with the same 413, whether the size is declared up front (Content-Length) or only found while streaming.
/// </summary>
public static class RequestBodies
{
    /// <summary>The body, refusing at once a declared length over the limit and, while read, any byte past it.</summary>
    public static Stream Limited(HttpRequest req, long limit, string setting)
    {
        if (req.ContentLength > limit) throw new RequestTooLargeException(limit, setting);
        return new LimitedStream(req.Body, limit, setting);
    }

    /// <summary>Whether an exception is a body over a limit: ours, or the server's own (Kestrel's MaxRequestBodySize).</summary>
    public static bool IsTooLarge(Exception e, out long? limit, out string? setting)
    {
        switch (e)
        {
            case RequestTooLargeException ours:
                (limit, setting) = (ours.Limit, ours.Setting);
                return true;
            case BadHttpRequestException { StatusCode: StatusCodes.Status413PayloadTooLarge }:
                (limit, setting) = (null, null);
                return true;
            default:
                if (e.InnerException is { } inner) return IsTooLarge(inner, out limit, out setting);
                (limit, setting) = (null, null);
                return false;
        }
    }

    sealed class LimitedStream(Stream inner, long limit, string setting) : Stream
    {
        long read;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => read; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => Count(inner.Read(buffer, offset, count));

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            Count(await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false));

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        int Count(int n)
        {
            read += n;
            if (read > limit) throw new RequestTooLargeException(limit, setting);
            return n;
        }

        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
