using System.Net;
using System.Security.Cryptography;
using DePinLedger.Inference.Import;
using DePinLedger.Inference.Model;

namespace DePinLedger.Inference.Tests;

/// <summary>MODEL resolution: paths by format, tokenizers beside checkpoints, names in the models folder, pinned downloads (served locally).</summary>
public sealed class ModelResolverTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("depin-resolver-tests-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string InFolder(params string[] parts) => Path.Combine([_folder, .. parts]);

    private static KnownModel Stories260K => ModelResolver.KnownModels.Single(m => m.Name == "stories260K");

    [Fact]
    public async Task Locate_ModelFilePath_IsAModelFileWithoutTokenizer()
    {
        var (checkpoint, tokenizer) = SyntheticModel.Create(new LlamaConfig(16, 32, 1, 2, 1, 260, 8, SharedClassifier: true), seed: 5);
        IntegerModel model = ModelImporter.Import(checkpoint, tokenizer);
        string path = InFolder("tiny.bin"); // the extension does not matter: the magic does
        ModelFile.Write(model, path);

        ModelSource source = await new ModelResolver(_folder).LocateAsync(path);

        Assert.False(source.IsCheckpoint);
        Assert.Null(source.TokenizerPath);
        Assert.Equal(model.ModelId, source.Load().ModelId);
    }

    [Theory]
    [InlineData("tok512.bin")]
    [InlineData("tokenizer.bin")]
    public async Task Locate_CheckpointPath_FindsTheTokenizerBesideIt(string tokenizerName)
    {
        Directory.CreateDirectory(InFolder("m"));
        File.Copy(SharedModels.Stories260K, InFolder("m", "model.bin"));
        File.Copy(SharedModels.Tok512, InFolder("m", tokenizerName));

        ModelSource source = await new ModelResolver(_folder).LocateAsync(InFolder("m", "model.bin"));

        Assert.True(source.IsCheckpoint);
        Assert.Equal(InFolder("m", tokenizerName), source.TokenizerPath);
        Assert.Equal(ImportedModels.Stories260K.ModelId, source.Load().ModelId);
    }

    [Fact]
    public async Task Locate_CheckpointWithoutTokenizer_NamesTheFilesItLookedFor()
    {
        File.Copy(SharedModels.Stories260K, InFolder("alone.bin"));

        var e = await Assert.ThrowsAsync<FileNotFoundException>(() => new ModelResolver(_folder).LocateAsync(InFolder("alone.bin")));

        Assert.Contains("looked for tok512.bin and tokenizer.bin", e.Message);
    }

    [Fact]
    public async Task Locate_MissingPath_FileNotFound()
    {
        var e = await Assert.ThrowsAsync<FileNotFoundException>(() => new ModelResolver(_folder).LocateAsync(Path.Combine("no", "such.bin")));

        Assert.Contains("model file not found", e.Message);
    }

    [Fact]
    public async Task Locate_FileOfNeitherFormat_InvalidData()
    {
        File.WriteAllBytes(InFolder("junk.bin"), new byte[100]);

        var e = await Assert.ThrowsAsync<InvalidDataException>(() => new ModelResolver(_folder).LocateAsync(InFolder("junk.bin")));

        Assert.Contains("neither a DePinLedger model file", e.Message);
    }

    [Fact]
    public async Task Locate_KnownNamePresentInTheModelsFolder_UsesItWithoutDownloading()
    {
        var resolver = new ModelResolver(SharedModels.Directory, new LocalServer([]));

        ModelSource source = await resolver.LocateAsync("stories260K");

        Assert.Equal(SharedModels.Stories260K, source.Path);
        Assert.Equal(SharedModels.Tok512, source.TokenizerPath);
    }

    [Fact]
    public async Task Locate_UnknownName_ListsTheKnownNames()
    {
        var e = await Assert.ThrowsAsync<FileNotFoundException>(() => new ModelResolver(_folder, new LocalServer([])).LocateAsync("stories15M"));

        Assert.Contains("unknown model 'stories15M'", e.Message);
        Assert.Contains("known: stories260K", e.Message);
    }

    [Fact]
    public async Task Locate_OtherNameInTheModelsFolder_ResolvesLikeItsPath()
    {
        File.Copy(SharedModels.Stories260K, InFolder("mine.bin"));
        File.Copy(SharedModels.Tok512, InFolder("tok512.bin"));

        ModelSource source = await new ModelResolver(_folder).LocateAsync("mine");

        Assert.Equal(InFolder("mine.bin"), source.Path);
    }

    [Fact]
    public async Task Locate_KnownNameAbsent_DownloadsVerifiesAndCaches()
    {
        var server = new LocalServer(new()
        {
            [Stories260K.Checkpoint.Url] = File.ReadAllBytes(SharedModels.Stories260K),
            [Stories260K.Tokenizer.Url] = File.ReadAllBytes(SharedModels.Tok512),
        });
        var log = new List<string>();
        var resolver = new ModelResolver(InFolder("cache"), server, log.Add);

        ModelSource source = await resolver.LocateAsync("stories260K");
        ModelSource again = await resolver.LocateAsync("stories260K");

        Assert.Equal(InFolder("cache", "stories260K.bin"), source.Path);
        Assert.Equal(InFolder("cache", "tok512.bin"), source.TokenizerPath);
        Assert.Equal(source, again);
        Assert.Equal(2, server.Requests); // the second call found the cached files
        Assert.Equal(2, log.Count);
        Assert.Equal(ImportedModels.Stories260K.ModelId, source.Load().ModelId);
        Assert.Equal(["stories260K.bin", "tok512.bin"], Directory.GetFiles(InFolder("cache")).Select(Path.GetFileName).Order());
    }

    [Fact]
    public async Task Locate_DownloadWithTheWrongChecksum_DeletesItAndFails()
    {
        byte[] tampered = File.ReadAllBytes(SharedModels.Stories260K);
        tampered[1000] ^= 1;
        var server = new LocalServer(new() { [Stories260K.Checkpoint.Url] = tampered });

        var e = await Assert.ThrowsAsync<InvalidDataException>(() => new ModelResolver(InFolder("cache"), server).LocateAsync("stories260K"));

        Assert.Contains($"does not match the pinned {Stories260K.Checkpoint.Sha256}", e.Message);
        Assert.Empty(Directory.GetFiles(InFolder("cache")));
    }

    [Fact]
    public async Task Locate_DownloadFailing_IOExceptionNamingTheUrl()
    {
        var e = await Assert.ThrowsAsync<IOException>(() => new ModelResolver(InFolder("cache"), new LocalServer([])).LocateAsync("stories260K"));

        Assert.Contains($"downloading {Stories260K.Checkpoint.Url} failed", e.Message);
        Assert.Empty(Directory.GetFiles(InFolder("cache")));
    }

    [Fact]
    public void VerifyDownload_MatchingFile_IsKept()
    {
        string path = InFolder("tok512.bin");
        File.Copy(SharedModels.Tok512, path);

        ModelResolver.VerifyDownload(path, Stories260K.Tokenizer.Sha256, "test");

        Assert.True(File.Exists(path));
    }

    [Fact]
    public void VerifyDownload_MismatchingFile_IsDeleted()
    {
        string path = InFolder("tok512.bin");
        File.WriteAllText(path, "not the tokenizer");
        string actual = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(path)));

        var e = Assert.Throws<InvalidDataException>(() => ModelResolver.VerifyDownload(path, Stories260K.Tokenizer.Sha256, "test"));

        Assert.Contains($"sha256 {actual} does not match", e.Message);
        Assert.False(File.Exists(path));
    }

    [Fact]
    public void KnownModels_PinTheReferenceFiles()
    {
        Assert.Equal(Stories260K.Checkpoint.Sha256, Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(SharedModels.Stories260K))));
        Assert.Equal(Stories260K.Tokenizer.Sha256, Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(SharedModels.Tok512))));
    }

    /// <summary>Serves fixed bytes per URL, 404 for anything else; never touches the network.</summary>
    private sealed class LocalServer(Dictionary<Uri, byte[]> files) : HttpMessageHandler
    {
        public int Requests { get; private set; }

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Requests++;
            return Task.FromResult(files.TryGetValue(request.RequestUri!, out byte[]? body)
                ? new HttpResponseMessage(HttpStatusCode.OK) { Content = new ByteArrayContent(body) }
                : new HttpResponseMessage(HttpStatusCode.NotFound));
        }
    }
}
