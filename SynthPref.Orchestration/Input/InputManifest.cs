using System.Buffers.Binary;

namespace SynthPref.Orchestration.Input;

/// <summary>Where item <c>i</c> sits in the run's input copy: its bytes and its line, for messages.</summary>
public readonly record struct ManifestEntry(long Offset, int Length, int Line);

/// <summary>
/// The run's per-item plan: one fixed-size entry per valid item, in input order. It lives in a blob beside the
/// input copy, so the orchestration carries only the item count, and each activity reads its item with one
/// ranged request instead of the run writing a blob per item.
/// </summary>
public sealed class InputManifest(ManifestEntry[] entries)
{
    const int EntryBytes = 16;
    static readonly byte[] Magic = "SPM1"u8.ToArray();

    public int Count => entries.Length;
    public ManifestEntry this[int index] => entries[index];
    public long SizeInBytes => Magic.Length + 4 + (long)entries.Length * EntryBytes;

    public byte[] ToBytes()
    {
        var bytes = new byte[SizeInBytes];
        Magic.CopyTo(bytes, 0);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(4), entries.Length);
        for (var i = 0; i < entries.Length; i++)
        {
            var at = bytes.AsSpan(8 + i * EntryBytes, EntryBytes);
            BinaryPrimitives.WriteInt64LittleEndian(at, entries[i].Offset);
            BinaryPrimitives.WriteInt32LittleEndian(at[8..], entries[i].Length);
            BinaryPrimitives.WriteInt32LittleEndian(at[12..], entries[i].Line);
        }
        return bytes;
    }

    public static InputManifest FromBytes(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length < 8 || !bytes[..4].SequenceEqual(Magic))
            throw new InvalidDataException("Not a SynthPref input manifest.");
        var count = BinaryPrimitives.ReadInt32LittleEndian(bytes[4..]);
        if (bytes.Length != 8 + (long)count * EntryBytes)
            throw new InvalidDataException($"The input manifest says {count} items but holds {bytes.Length} bytes.");
        var entries = new ManifestEntry[count];
        for (var i = 0; i < count; i++)
        {
            var at = bytes.Slice(8 + i * EntryBytes, EntryBytes);
            entries[i] = new ManifestEntry(
                BinaryPrimitives.ReadInt64LittleEndian(at),
                BinaryPrimitives.ReadInt32LittleEndian(at[8..]),
                BinaryPrimitives.ReadInt32LittleEndian(at[12..]));
        }
        return new InputManifest(entries);
    }
}
