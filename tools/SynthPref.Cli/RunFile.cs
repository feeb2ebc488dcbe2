using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using SynthPref.Orchestration.Api;
using SynthPref.Orchestration.Outcomes;
using SynthPref.Orchestration.Runs;
using SynthPref.Orchestration.Storage;

namespace SynthPref.Cli;

/// <summary>
/// A JSONL file and the run options given with it, checked here before anything is sent: options through the same
/// parser the blob trigger reads metadata with, so an option means the same whether it travels inline or as metadata.
/// </summary>
public sealed class RunFile
{
    /// <summary>The most a run request may carry on a host with default settings (Api:MaxRequestBytes); a larger file
    /// is uploaded instead.</summary>
    public static readonly long InlineLimitBytes = new ApiOptions().MaxRequestBytes;

    /// <summary>Option names as the API spells them, from the parser itself (as JSON and metadata take them).</summary>
    public static readonly IReadOnlyList<string> OptionNames = RunOptionsParser.Names.Keys.ToList();

    RunFile(string path, string name, IReadOnlyDictionary<string, string> metadata, RequestedOptions options)
    {
        Path = path;
        Name = name;
        Metadata = metadata;
        Options = options;
    }

    public string Path { get; }
    public string Name { get; }
    /// <summary>The options as given (key=value), keys spelled as the API spells them.</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }
    public RequestedOptions Options { get; }
    public long Length => new FileInfo(Path).Length;

    /// <summary>Every problem with the arguments at once, so they are fixed in one pass.</summary>
    public static RunFile Open(string file, string? name, IReadOnlyList<string> options)
    {
        var path = System.IO.Path.GetFullPath(file);
        var problems = new List<string>();
        if (!File.Exists(path)) problems.Add($"{file}: no such file ({path}).");

        var given = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var option in options)
        {
            var eq = option.IndexOf('=');
            if (eq <= 0)
            {
                problems.Add($"--option '{option}': expected key=value, such as reviewSampleSize=20.");
                continue;
            }
            var key = option[..eq].Trim();
            var known = OptionNames.FirstOrDefault(n => n.Equals(key, StringComparison.OrdinalIgnoreCase));
            if (known is null)
                problems.Add(key.Equals("name", StringComparison.OrdinalIgnoreCase)
                    ? "--option name=…: give the run's name with --name."
                    : $"--option {key}: no such run option. Run options: {string.Join(", ", OptionNames)}.");
            else if (!given.TryAdd(known, option[(eq + 1)..].Trim()))
                problems.Add($"--option {known} is given twice.");
        }
        var errors = new List<FieldError>();
        var parsed = RequestedOptions.FromMetadata(given, errors);
        problems.AddRange(errors.Select(e => $"--option {e.Field.Replace("metadata ", "", StringComparison.Ordinal)}: {e.Message}"));
        if (problems.Count > 0) throw new CliException(ExitCodes.BadInput, problems[0], problems.Skip(1).ToList());
        return new RunFile(path, name ?? System.IO.Path.GetFileName(path), given, parsed);
    }

    /// <summary>
    /// The run request with the file's lines as its items, streamed. Each line is read as JSON first, so a line that
    /// is not JSON is named by its line in the file (the host would see one broken request body).
    /// </summary>
    /// <param name="blankLines">Blank lines before the last item: the host numbers items without them.</param>
    public HttpContent InlineBody(out int items, out int blankLines)
    {
        if (Length > InlineLimitBytes)
            throw new CliException(ExitCodes.BadInput,
                $"{Path} is {Length / (1024.0 * 1024):0.0} MiB, more than the {InlineLimitBytes / (1024 * 1024)} MiB a run request may carry " +
                "(Api:MaxRequestBytes); give --storage (or set AzureWebJobsStorage) to upload it to the host's storage instead.");
        var problems = new List<string>();
        var count = 0;
        var blank = 0;
        var blankBeforeItems = 0;
        foreach (var (line, number) in Lines())
        {
            if (IsBlank(line))
            {
                blank++;
                continue;
            }
            count++;
            blankBeforeItems = blank;
            try
            {
                using var _ = JsonDocument.Parse(line);
            }
            catch (JsonException e)
            {
                if (problems.Count < 50) problems.Add($"{Path} line {number}: not valid JSON: {WithoutPosition(e.Message)}");
            }
        }
        if (problems.Count > 0) throw new CliException(ExitCodes.BadInput, problems[0], problems.Skip(1).ToList());
        if (count == 0) throw new CliException(ExitCodes.BadInput, $"{Path} has no items: every line is blank.");
        items = count;
        blankLines = blankBeforeItems;
        return new InlineContent(this);
    }

    /// <summary>Uploads the file to the blob trigger's container with the options as metadata, as the trigger reads
    /// them; the run id follows from the blob's name and ETag, as the trigger makes it.</summary>
    public async Task<(string BlobName, string RunId)> UploadAsync(string connectionString, CancellationToken ct)
    {
        var metadata = new Dictionary<string, string>(Metadata) { ["name"] = Name };
        foreach (var (key, value) in metadata)
            if (value.Any(c => c is < ' ' or > '~'))
                throw new CliException(ExitCodes.BadInput,
                    $"{(key == "name" ? "--name" : $"--option {key}")}: blob metadata holds printable ASCII only, and '{value}' is not; " +
                    "choose another value, or post the file inline (without --storage).");
        var blobName = $"{System.IO.Path.GetFileNameWithoutExtension(Path)}-{DateTime.UtcNow:yyyyMMdd-HHmmss}-{Convert.ToHexStringLower(Guid.NewGuid().ToByteArray()[..3])}.jsonl";
        try
        {
            var container = new BlobServiceClient(connectionString).GetBlobContainerClient(StorageNames.InputContainer);
            await container.CreateIfNotExistsAsync(cancellationToken: ct);
            var upload = await container.GetBlobClient(blobName).UploadAsync(Path,
                new BlobUploadOptions { Metadata = metadata, HttpHeaders = new BlobHttpHeaders { ContentType = "application/x-ndjson" } }, ct);
            return (blobName, RunStarter.BlobRunId(StorageNames.InputContainer, blobName, upload.Value.ETag.ToString()));
        }
        catch (FormatException e)
        {
            throw new CliException(ExitCodes.BadInput, $"--storage: not a storage connection string ({e.Message}).");
        }
        catch (RequestFailedException e) when (e.Status is 0 or >= 500)
        {
            throw new CliException(ExitCodes.Unreachable, $"could not upload {Path}: the storage account cannot be reached ({e.Message.Split('\n')[0]}).");
        }
        catch (RequestFailedException e) when (e.Status is (int)HttpStatusCode.Forbidden or (int)HttpStatusCode.Unauthorized)
        {
            throw new CliException(ExitCodes.Unauthorized, $"could not upload {Path}: the storage account refused the connection string's key ({e.ErrorCode}).");
        }
        catch (AggregateException e) when (e.InnerExceptions.All(i => i is RequestFailedException or HttpRequestException))
        {
            throw new CliException(ExitCodes.Unreachable, $"could not upload {Path}: the storage account cannot be reached ({e.InnerExceptions[0].Message.Split('\n')[0]}).");
        }
    }

    IEnumerable<(byte[] Line, int Number)> Lines()
    {
        using var stream = File.OpenRead(Path);
        var number = 0;
        var line = new MemoryStream();
        int b;
        // Byte-wise, so an invalid UTF-8 byte reaches the JSON reader (and the host) as it is, never replaced.
        using var buffered = new BufferedStream(stream, 1 << 16);
        while ((b = buffered.ReadByte()) >= 0)
        {
            if (b != '\n')
            {
                line.WriteByte((byte)b);
                continue;
            }
            yield return (Trim(line, ++number), number);
            line.SetLength(0);
        }
        if (line.Length > 0) yield return (Trim(line, ++number), number);
    }

    static byte[] Trim(MemoryStream line, int number)
    {
        var bytes = line.ToArray();
        var start = number == 1 && bytes.AsSpan().StartsWith("\uFEFF"u8) ? 3 : 0;
        var end = bytes.Length > start && bytes[^1] == '\r' ? bytes.Length - 1 : bytes.Length;
        return bytes[start..end];
    }

    static bool IsBlank(byte[] line) => line.All(b => b is (byte)' ' or (byte)'\t');

    /// <summary>System.Text.Json ends its messages with its own position in the one-line document ("LineNumber: 0 |
    /// BytePositionInLine: 52"), which reads as a second, wrong line number beside the file's.</summary>
    static string WithoutPosition(string message)
    {
        var cut = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
        return cut > 0 ? message[..cut].TrimEnd() : message;
    }

    /// <summary><c>{"name", "options", "items": [each line]}</c>, written as the file is read.</summary>
    sealed class InlineContent : HttpContent
    {
        static readonly JsonSerializerOptions OptionsJson = new(JsonSerializerDefaults.Web)
        {
            DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
        };

        readonly RunFile file;
        readonly byte[] prefix;

        public InlineContent(RunFile file)
        {
            this.file = file;
            var head = new MemoryStream();
            using (var writer = new Utf8JsonWriter(head))
            {
                writer.WriteStartObject();
                writer.WriteString("name", file.Name);
                writer.WritePropertyName("options");
                JsonSerializer.Serialize(writer, file.Options.Given, OptionsJson);
                writer.WritePropertyName("items");
                writer.WriteStartArray();
            }
            prefix = head.ToArray();
            Headers.ContentType = new MediaTypeHeaderValue("application/json");
        }

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            await stream.WriteAsync(prefix);
            var first = true;
            foreach (var (line, _) in file.Lines())
            {
                if (IsBlank(line)) continue;
                if (!first) await stream.WriteAsync(","u8.ToArray());
                first = false;
                await stream.WriteAsync(line);
            }
            await stream.WriteAsync("]}"u8.ToArray());
        }

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }
}
