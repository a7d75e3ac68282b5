using System.Globalization;
using System.Text;

namespace CartCall.Browser.Tests.Calling;

/// <summary>A sine tone as a 48 kHz mono 16-bit WAV, for Chromium's fake microphone (one tone per side of a call).</summary>
public static class ToneWav
{
    public const int SampleRate = 48_000;

    /// <summary>Writes the tone under the temp folder (once per frequency) and returns its path.</summary>
    public static string Write(int frequencyHz, double seconds = 10, double amplitude = 0.5)
    {
        var path = Path.Combine(Path.GetTempPath(), "cartcall-tones", string.Create(CultureInfo.InvariantCulture, $"tone-{frequencyHz}hz-{seconds}s.wav"));
        if (File.Exists(path)) return path;
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var samples = (int)(SampleRate * seconds);
        using var stream = new MemoryStream();
        using (var w = new BinaryWriter(stream, Encoding.ASCII, leaveOpen: true))
        {
            w.Write("RIFF"u8);
            w.Write(36 + (samples * 2));
            w.Write("WAVE"u8);
            w.Write("fmt "u8);
            w.Write(16);
            w.Write((short)1); // PCM
            w.Write((short)1); // mono
            w.Write(SampleRate);
            w.Write(SampleRate * 2);
            w.Write((short)2);
            w.Write((short)16);
            w.Write("data"u8);
            w.Write(samples * 2);
            for (var i = 0; i < samples; i++)
            {
                w.Write((short)(Math.Sin(2 * Math.PI * frequencyHz * i / SampleRate) * amplitude * short.MaxValue));
            }
        }

        // Written whole and renamed, so a parallel run never reads half a file.
        var temp = path + "." + Guid.NewGuid().ToString("N");
        File.WriteAllBytes(temp, stream.ToArray());
        File.Move(temp, path, overwrite: true);
        return path;
    }
}
