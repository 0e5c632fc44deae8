using System.Text;
using DePinLedger.Inference.Tokenization;

namespace DePinLedger.Cli.Output;

/// <summary>
/// Writes tokens as text while they arrive. Every token's bytes go through one UTF-8 decoder, so a
/// character split over several tokens (byte-fallback pieces) is written once it is complete. The stream
/// starts as if after BOS and prints nothing for BOS or EOS, so the text equals <see cref="Tokenizer.DecodeAll"/>.
/// </summary>
internal sealed class TokenTextStream(Tokenizer tokenizer, TextWriter output)
{
    private readonly Decoder _utf8 = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: false).GetDecoder();
    private char[] _chars = new char[64];
    private int _previous = Tokenizer.Bos;

    public void Append(int token)
    {
        if (token is not (Tokenizer.Bos or Tokenizer.Eos)) Write(tokenizer.DecodeBytes(_previous, token), flush: false);
        _previous = token;
    }

    /// <summary>Writes what the decoder still holds (an incomplete character becomes U+FFFD).</summary>
    public void Finish() => Write([], flush: true);

    private void Write(ReadOnlySpan<byte> bytes, bool flush)
    {
        int count = _utf8.GetCharCount(bytes, flush);
        if (count > _chars.Length) _chars = new char[Math.Max(count, 2 * _chars.Length)];
        int written = _utf8.GetChars(bytes, _chars, flush);
        if (written > 0) output.Write(_chars, 0, written);
    }
}
