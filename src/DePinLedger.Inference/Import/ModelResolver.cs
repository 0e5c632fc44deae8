using System.Buffers.Binary;
using System.Security.Cryptography;
using DePinLedger.Inference.Model;
using DePinLedger.Inference.Tokenization;

namespace DePinLedger.Inference.Import;

/// <summary>One file of a named model: its name in the models folder, where it is published and its pinned sha256.</summary>
public sealed record ModelDownload(string FileName, Uri Url, string Sha256);

/// <summary>A model that can be named on the command line and is downloaded on first use.</summary>
public sealed record KnownModel(string Name, ModelDownload Checkpoint, ModelDownload Tokenizer);

/// <summary>
/// Where a MODEL argument points: an imported model file (<see cref="TokenizerPath"/> null), or a llama2.c
/// float checkpoint with its tokenizer, imported on load.
/// </summary>
public sealed record ModelSource(string Path, string? TokenizerPath)
{
    /// <summary>True for a llama2.c checkpoint (the float reference is available); false for a model file.</summary>
    public bool IsCheckpoint => TokenizerPath is not null;

    public IntegerModel Load() => TokenizerPath is null ? ModelFile.Read(Path) : ModelImporter.ImportFiles(Path, TokenizerPath);

    /// <summary>The integer model and, for a checkpoint, the float checkpoint it was imported from (read once).</summary>
    public (IntegerModel Model, LlamaCheckpoint? Float) LoadWithFloatReference()
    {
        if (TokenizerPath is null) return (ModelFile.Read(Path), null);
        LlamaCheckpoint checkpoint = LlamaCheckpoint.Read(Path);
        Tokenizer tokenizer = TokenizerFile.Read(TokenizerPath, checkpoint.Config.VocabSize);
        return (ModelImporter.Import(checkpoint, tokenizer), checkpoint);
    }
}

/// <summary>
/// Turns a MODEL argument into files: a path to a model file (by its magic) or to a llama2.c checkpoint
/// (with <c>tok&lt;vocab&gt;.bin</c> or <c>tokenizer.bin</c> beside it), or a bare name looked up in the models
/// folder as <c>&lt;name&gt;.bin</c>. A known name that is not there is downloaded into the folder and checked
/// against its pinned sha256; a mismatch deletes the download.
/// </summary>
/// <param name="modelsDirectory">The folder holding named models (see <see cref="DefaultModelsDirectory"/>).</param>
/// <param name="downloads">HTTP handler for downloads; null = a default <see cref="HttpClient"/> (tests pass a local one).</param>
/// <param name="log">Receives one line per download, for the user; null = silent.</param>
public sealed class ModelResolver(string modelsDirectory, HttpMessageHandler? downloads = null, Action<string>? log = null)
{
    /// <summary>Environment variable naming the models folder.</summary>
    public const string ModelsDirectoryVariable = "DEPIN_MODELS";

    /// <summary>Tokenizer file names tried beside a checkpoint, in order ({0} = the vocabulary size).</summary>
    public static IReadOnlyList<string> TokenizerFileNames { get; } = ["tok{0}.bin", "tokenizer.bin"];

    private const string HuggingFaceTinyLlamas = "https://huggingface.co/karpathy/tinyllamas/resolve/main/";

    /// <summary>Names that resolve even when absent from the models folder.</summary>
    public static IReadOnlyList<KnownModel> KnownModels { get; } =
    [
        new("stories260K",
            new ModelDownload("stories260K.bin", new Uri(HuggingFaceTinyLlamas + "stories260K/stories260K.bin"),
                "b0a507e7ad0f626624f17112325e66691f9076d622e1d3274d103d00299f2696"),
            new ModelDownload("tok512.bin", new Uri(HuggingFaceTinyLlamas + "stories260K/tok512.bin"),
                "037cb335abb25d1fa9e8ecae30ed2a3a8ace9302862ebcdc05d51a6bbb10c312")),
    ];

    public string ModelsDirectory { get; } = string.IsNullOrWhiteSpace(modelsDirectory)
        ? throw new ArgumentException("the models folder must be named", nameof(modelsDirectory))
        : modelsDirectory;

    /// <summary>A resolver over <see cref="DefaultModelsDirectory"/> that downloads over the network.</summary>
    public static ModelResolver FromEnvironment(Action<string>? log = null) => new(DefaultModelsDirectory(), log: log);

    /// <summary><c>$DEPIN_MODELS</c> when set, else <c>$XDG_CACHE_HOME/depinledger/models</c>, else <c>~/.cache/depinledger/models</c>.</summary>
    public static string DefaultModelsDirectory()
    {
        string? configured = Environment.GetEnvironmentVariable(ModelsDirectoryVariable);
        if (!string.IsNullOrWhiteSpace(configured)) return configured;
        string? xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        string cache = !string.IsNullOrEmpty(xdg) && Path.IsPathRooted(xdg)
            ? xdg
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
        return Path.Combine(cache, "depinledger", "models");
    }

    /// <summary>Resolves and loads <paramref name="model"/>.</summary>
    public async Task<IntegerModel> LoadAsync(string model, CancellationToken cancellationToken = default) =>
        (await LocateAsync(model, cancellationToken).ConfigureAwait(false)).Load();

    /// <summary>Finds the files <paramref name="model"/> names, downloading a known model that is missing.</summary>
    /// <exception cref="FileNotFoundException">No such file, no tokenizer beside a checkpoint, or an unknown name.</exception>
    /// <exception cref="InvalidDataException">The file is neither format, or a download does not match its sha256.</exception>
    /// <exception cref="IOException">A download failed.</exception>
    public async Task<ModelSource> LocateAsync(string model, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(model);
        if (File.Exists(model)) return FromPath(model);
        if (Directory.Exists(model)) throw new FileNotFoundException($"{model} is a folder, not a model file", model);
        if (!IsName(model)) throw new FileNotFoundException($"model file not found: {model}", model);

        KnownModel? known = KnownModels.FirstOrDefault(k => string.Equals(k.Name, model, StringComparison.OrdinalIgnoreCase));
        if (known is null)
        {
            string local = Path.Combine(ModelsDirectory, model + ".bin");
            if (File.Exists(local)) return FromPath(local);
            throw new FileNotFoundException(
                $"unknown model '{model}': no {model}.bin in {ModelsDirectory} and not a known name (known: {string.Join(", ", KnownModels.Select(k => k.Name))}); " +
                "pass a path to a model file or a llama2.c checkpoint instead", local);
        }
        string checkpoint = await EnsureAsync(known.Checkpoint, cancellationToken).ConfigureAwait(false);
        string tokenizer = await EnsureAsync(known.Tokenizer, cancellationToken).ConfigureAwait(false);
        return ModelFile.HasMagic(checkpoint) ? new ModelSource(checkpoint, null) : new ModelSource(checkpoint, tokenizer);
    }

    /// <summary>A file path: a model file when it has the magic, else a llama2.c checkpoint with the tokenizer beside it.</summary>
    public static ModelSource FromPath(string path) =>
        ModelFile.HasMagic(path) ? new ModelSource(path, null) : new ModelSource(path, TokenizerBeside(path));

    /// <summary>
    /// The tokenizer in the checkpoint's folder: <c>tok&lt;vocab&gt;.bin</c> (vocab from the checkpoint header),
    /// else <c>tokenizer.bin</c>.
    /// </summary>
    public static string TokenizerBeside(string checkpointPath)
    {
        LlamaConfig header = ReadHeader(checkpointPath);
        string folder = Path.GetDirectoryName(Path.GetFullPath(checkpointPath))!;
        string[] names = [.. TokenizerFileNames.Select(n => string.Format(System.Globalization.CultureInfo.InvariantCulture, n, header.VocabSize))];
        foreach (string name in names)
        {
            string candidate = Path.Combine(folder, name);
            if (File.Exists(candidate)) return candidate;
        }
        throw new FileNotFoundException(
            $"no tokenizer beside the checkpoint {checkpointPath}: looked for {string.Join(" and ", names)} in {folder}", Path.Combine(folder, names[0]));
    }

    /// <summary>
    /// Checks that the file at <paramref name="path"/> has the sha256 <paramref name="expectedSha256"/> (hex);
    /// when it does not, deletes the file and throws <see cref="InvalidDataException"/>.
    /// </summary>
    public static void VerifyDownload(string path, string expectedSha256, string source)
    {
        string actual;
        using (FileStream stream = File.OpenRead(path)) actual = Convert.ToHexStringLower(SHA256.HashData(stream));
        if (string.Equals(actual, expectedSha256, StringComparison.OrdinalIgnoreCase)) return;
        File.Delete(path);
        throw new InvalidDataException($"{source}: sha256 {actual} does not match the pinned {expectedSha256.ToLowerInvariant()}; the download was deleted");
    }

    /// <summary>The file in the models folder, downloaded (to a partial file, verified, then renamed) when absent.</summary>
    private async Task<string> EnsureAsync(ModelDownload file, CancellationToken cancellationToken)
    {
        string target = Path.Combine(ModelsDirectory, file.FileName);
        if (File.Exists(target)) return target;
        Directory.CreateDirectory(ModelsDirectory);
        string partial = $"{target}.{Guid.NewGuid():N}.part";
        log?.Invoke($"downloading {file.Url} to {target}");
        try
        {
            using (HttpClient client = downloads is null ? new HttpClient() : new HttpClient(downloads, disposeHandler: false))
            using (HttpResponseMessage response = await client.GetAsync(file.Url, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false))
            {
                response.EnsureSuccessStatusCode();
                await using FileStream output = File.Create(partial);
                await response.Content.CopyToAsync(output, cancellationToken).ConfigureAwait(false);
            }
            VerifyDownload(partial, file.Sha256, file.Url.ToString());
            File.Move(partial, target, overwrite: true);
            return target;
        }
        catch (HttpRequestException e)
        {
            throw new IOException($"downloading {file.Url} failed: {e.Message}", e);
        }
        catch (TaskCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new IOException($"downloading {file.Url} timed out", e);
        }
        finally
        {
            if (File.Exists(partial)) File.Delete(partial);
        }
    }

    /// <summary>The llama2.c header, checked enough to name the tokenizer; the full read checks the rest.</summary>
    private static LlamaConfig ReadHeader(string path)
    {
        Span<byte> header = stackalloc byte[LlamaCheckpoint.HeaderBytes];
        int read;
        using (FileStream stream = File.OpenRead(path)) read = stream.ReadAtLeast(header, header.Length, throwOnEndOfStream: false);
        if (read < header.Length)
            throw new InvalidDataException($"{path}: neither a DePinLedger model file nor a llama2.c checkpoint ({read} bytes)");
        Span<int> h = stackalloc int[7];
        for (int i = 0; i < h.Length; i++) h[i] = BinaryPrimitives.ReadInt32LittleEndian(header[(4 * i)..]);
        var config = new LlamaConfig(h[0], h[1], h[2], h[3], h[4], h[5] == int.MinValue ? 0 : Math.Abs(h[5]), h[6], h[5] > 0);
        if (config.FindProblem() is { } problem)
            throw new InvalidDataException($"{path}: neither a DePinLedger model file (no DPLM magic) nor a llama2.c checkpoint ({problem})");
        return config;
    }

    /// <summary>A bare model name: letters, digits, '-' and '_' (anything else is taken as a path).</summary>
    private static bool IsName(string model) => model.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_');
}
