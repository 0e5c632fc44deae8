using System.CommandLine;
using System.Text;
using System.Text.RegularExpressions;
using DePinLedger.Cli.CommandLine;
using DePinLedger.Inference.Import;
using DePinLedger.Inference.Tests;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace DePinLedger.Cli.Tests;

/// <summary>
/// deploy/ kept valid without a Docker engine or a cluster: every YAML file parses; the compose file's dependencies,
/// volumes, ports and builds hold together; every Kubernetes object is well-formed and its references resolve; every
/// <c>depin</c> command line in them parses with the real command-line parser (a renamed flag fails here); the
/// Dockerfiles copy paths that exist; the workers serve every layer of the model twice, on disjoint operators.
/// </summary>
public class DeployManifestTests
{
    private const string DepinImage = "depinledger/depin";

    private static readonly Deploy Files = Deploy.Load();

    [Fact]
    public void EveryYamlFile_Parses()
    {
        string[] files = [.. Directory.EnumerateFiles(Files.Folder, "*.*", SearchOption.AllDirectories)
            .Where(f => f.EndsWith(".yaml", StringComparison.Ordinal) || f.EndsWith(".yml", StringComparison.Ordinal))];

        Assert.Contains(Path.Combine(Files.Folder, "compose.yaml"), files);
        Assert.Contains(Path.Combine(Files.Folder, "k8s", "kustomization.yaml"), files);
        foreach (string file in files)
            Assert.All(Deploy.ReadYaml(file), document => Assert.IsType<YamlMappingNode>(document.RootNode));
    }

    [Fact]
    public void Compose_DependenciesVolumesPortsAndBuildsHoldTogether()
    {
        YamlMappingNode services = Files.Compose.Map("services");
        YamlMappingNode volumes = Files.Compose.Map("volumes");
        var problems = new List<string>();
        var usedVolumes = new HashSet<string>();
        foreach ((string name, YamlMappingNode service) in Deploy.Entries(services))
        {
            foreach ((string dependency, string condition) in ComposeDependencies(service))
            {
                if (!services.Children.ContainsKey(dependency)) problems.Add($"{name} depends on unknown service {dependency}");
                else if (condition == "service_healthy" && !((YamlMappingNode)services[dependency]).Children.ContainsKey("healthcheck"))
                    problems.Add($"{name} waits for {dependency} to be healthy, which has no healthcheck");
                if (condition is not ("service_started" or "service_healthy" or "service_completed_successfully"))
                    problems.Add($"{name}: unknown depends_on condition {condition}");
            }
            foreach (string volume in service.Strings("volumes"))
            {
                string source = volume.Split(':')[0];
                if (source.StartsWith('.') || source.StartsWith('/') || source.StartsWith('~')) problems.Add($"{name} bind-mounts {source}: use a named volume");
                else if (!volumes.Children.ContainsKey(source)) problems.Add($"{name} mounts undeclared volume {source}");
                usedVolumes.Add(source);
            }
            foreach (string port in service.Strings("ports"))
                if (!port.StartsWith("127.0.0.1:", StringComparison.Ordinal)) problems.Add($"{name} publishes {port} beyond loopback");
            problems.AddRange(ComposeImageProblems(name, service, services));
        }
        problems.AddRange(Deploy.Entries(volumes).Select(v => v.Key).Where(v => !usedVolumes.Contains(v)).Select(v => $"volume {v} is declared but unused"));
        problems.AddRange(DependencyCycles(services));
        // Compose substitutes ${NAME} from the host: each one has a default, so `up` needs no .env.
        problems.AddRange(Regex.Matches(File.ReadAllText(Files.ComposePath), @"(?<!\$)\$\{[^}]*\}").Select(m => m.Value).Where(v => !v.Contains(":-", StringComparison.Ordinal))
            .Select(v => $"{v} has no default"));

        Assert.Empty(problems);
        Assert.True(services.Children.Count >= 13, $"{services.Children.Count} services");
    }

    [Fact]
    public void Compose_HealthchecksProbeTheRealEndpoints()
    {
        YamlMappingNode services = Files.Compose.Map("services");

        Assert.Contains("GET /health ", HealthcheckOf(services, "coordinator"));
        Assert.Contains("/dev/tcp/127.0.0.1/7000", HealthcheckOf(services, "worker-a-0"));
        Assert.Contains("pg_isready", HealthcheckOf(services, "postgres"));
        Assert.Contains("cast chain-id", HealthcheckOf(services, "anvil"));
        // The probed ports are the ones the services listen on.
        Assert.Equal("8080", OptionValue(ComposeDepinCommands().Single(c => c.Where == "coordinator").Args, "--port"));
        Assert.All(ComposeDepinCommands().Where(c => c.Args[0] == "worker"), c => Assert.Equal("7000", OptionValue(c.Args, "--port")));
        // A fixed data path port, so that a firewall rule or a port list can name it.
        Assert.All(ComposeDepinCommands().Where(c => c.Args[0] == "worker"), c => Assert.Equal("7001", OptionValue(c.Args, "--data-port")));
    }

    [Fact]
    public void Compose_EveryUrlInACommandLine_NamesAServiceOnThePortItListensOn()
    {
        YamlMappingNode services = Files.Compose.Map("services");
        Uri[] urls = [.. ComposeDepinCommands().SelectMany(c => c.Args).Select(a => Uri.TryCreate(a, UriKind.Absolute, out Uri? u) && u.Scheme == "http" ? u : null).OfType<Uri>()];

        Assert.Contains(urls, u => u.Host == "anvil");
        Assert.Contains(urls, u => u.Host == "coordinator");
        foreach (Uri url in urls)
        {
            Assert.True(services.Children.ContainsKey(url.Host), $"{url}: no service {url.Host}");
            string[] command = [.. ((YamlMappingNode)services[url.Host]).Strings("command")];
            Assert.Equal(url.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), OptionValue(command, "--port"));
        }
    }

    [Fact]
    public void Compose_EveryDepinCommandLine_ParsesWithTheRealCli()
    {
        IReadOnlyList<DepinCommand> commands = ComposeDepinCommands();

        Assert.Empty(ParseProblems(commands));
        string[] verbs = [.. commands.Select(c => Verb(c.Args)).Distinct()];
        foreach (string verb in new[] { "model info", "wallet import", "node status", "node register", "node stake", "db migrate", "coordinator", "worker" })
            Assert.Contains(verb, verbs);
        Assert.Equal(6, commands.Count(c => c.Args[0] == "worker"));
        Assert.Equal(6, commands.Count(c => Verb(c.Args) == "node register"));
    }

    [Fact]
    public void RenamedFlag_FailsTheParseCheck()
    {
        DepinCommand worker = ComposeDepinCommands().First(c => c.Args[0] == "worker");
        string[] renamed = [.. worker.Args.Select(a => a == "--heartbeat-url" ? "--heartbeat-uri" : a)];

        Assert.Empty(ParseProblems([worker]));
        Assert.Single(ParseProblems([worker with { Args = renamed }]));
    }

    [Fact]
    public void Compose_WorkersServeEveryLayerTwice_OnDisjointOperatorsThatRegisteredThem()
    {
        int layers = LlamaCheckpoint.Read(SharedModels.Stories260K).Config.Layers;
        IReadOnlyList<DepinCommand> commands = ComposeDepinCommands();
        DepinCommand[] workers = [.. commands.Where(c => c.Args[0] == "worker")];

        Assert.All(workers, w => Assert.Equal("stories260K", OptionValue(w.Args, "--model")));
        AssertEveryLayerServed(layers, 2, workers.Select(w => OptionValue(w.Args, "--layers")!));
        string[] operators = [.. workers.Select(w => OptionValue(w.Args, "--account")!.ToLowerInvariant())];
        Assert.Equal(operators.Length, operators.Distinct().Count());
        foreach (DepinCommand worker in workers)
        {
            string account = OptionValue(worker.Args, "--account")!;
            DepinCommand register = Assert.Single(commands, c => Verb(c.Args) == "node register" && OptionValue(c.Args, "--account") == account);
            Assert.Equal($"http://{worker.Where}:{OptionValue(worker.Args, "--port")}", OptionValue(register.Args, "--endpoint"));
            Assert.Single(commands, c => Verb(c.Args) == "node stake" && OptionValue(c.Args, "--account") == account);
        }
        string coordinatorAccount = OptionValue(commands.Single(c => c.Args[0] == "coordinator").Args, "--account")!;
        Assert.DoesNotContain(coordinatorAccount.ToLowerInvariant(), operators);
    }

    [Fact]
    public void Kubernetes_ObjectsAreWellFormed_AndTheirReferencesResolve()
    {
        var problems = new List<string>();
        HashSet<string> configMaps = Files.Generated("configMapGenerator");
        HashSet<string> secrets = Files.Generated("secretGenerator");
        foreach (YamlMappingNode o in Files.Objects)
        {
            string kind = o.Text("kind") ?? "", name = o.Map("metadata").Text("name") ?? "";
            if (o.Text("apiVersion") is null || kind.Length == 0 || name.Length == 0) problems.Add($"object without apiVersion/kind/metadata.name: {kind} {name}");
            if (kind == "ConfigMap") configMaps.Add(name);
            if (kind == "Secret") secrets.Add(name);
        }
        Assert.NotEmpty(configMaps);
        foreach (YamlMappingNode workload in Files.Workloads)
        {
            string name = Deploy.NameOf(workload);
            YamlMappingNode template = workload.Map("spec").Map("template");
            Dictionary<string, string> labels = Deploy.Labels(template);
            if (workload.Text("kind") != "Job" && !Deploy.Labels(workload.Map("spec").Map("selector"), "matchLabels").All(l => labels.TryGetValue(l.Key, out string? v) && v == l.Value))
                problems.Add($"{name}: selector does not match its template's labels");
            if (workload.Text("kind") == "StatefulSet" && !Files.Objects.Any(s => s.Text("kind") == "Service" && Deploy.NameOf(s) == workload.Map("spec").Text("serviceName")))
                problems.Add($"{name}: serviceName names no Service");
            problems.AddRange(PodProblems(name, workload, configMaps, secrets));
        }
        foreach (YamlMappingNode service in Files.Objects.Where(o => o.Text("kind") == "Service"))
        {
            Dictionary<string, string> selector = Deploy.Labels(service.Map("spec"), "selector");
            YamlMappingNode[] selected = [.. Files.Workloads.Where(w => selector.Count > 0 && selector.All(l => Deploy.Labels(w.Map("spec").Map("template")).TryGetValue(l.Key, out string? v) && v == l.Value))];
            if (selected.Length == 0) problems.Add($"Service {Deploy.NameOf(service)} selects no pod");
            foreach (YamlMappingNode port in service.Map("spec").Seq("ports").Cast<YamlMappingNode>())
                if (port.Text("targetPort") is { } target && !selected.All(w => Containers(w).Any(c => ContainerPorts(c).Contains(target))))
                    problems.Add($"Service {Deploy.NameOf(service)}: targetPort {target} is not a port of the pods it selects");
        }

        Assert.Empty(problems);
    }

    [Fact]
    public void Kubernetes_KustomizationListsEveryManifest_AndEverySuppliedFileIsDocumented()
    {
        string k8s = Path.Combine(Files.Folder, "k8s");
        string[] manifests = [.. Directory.EnumerateFiles(k8s, "*.yaml").Select(f => Path.GetRelativePath(k8s, f)).Where(f => f != "kustomization.yaml").Order(StringComparer.Ordinal)];
        string readme = File.ReadAllText(Path.Combine(Files.Folder, "README.md"));

        Assert.Equal(manifests, Files.Kustomization.Strings("resources").Order(StringComparer.Ordinal));
        Assert.Equal("depinledger", Files.Kustomization.Text("namespace"));
        string[] supplied = [.. Files.GeneratorSources()];
        Assert.NotEmpty(supplied);
        foreach (string source in supplied)
        {
            // What a deployment supplies lives in the git-ignored local/ folder and is explained in the README.
            Assert.StartsWith("local/", source);
            Assert.Contains(source, readme);
        }
        Assert.True(File.Exists(Path.Combine(k8s, "local", ".gitignore")));
    }

    [Fact]
    public void Kubernetes_EveryDepinCommandLine_ParsesWithTheRealCli()
    {
        var commands = new List<DepinCommand>();
        foreach (YamlMappingNode workload in Files.Workloads)
            foreach (YamlMappingNode container in Containers(workload, includeInit: true).Where(c => c.Text("image")!.StartsWith(DepinImage + ":", StringComparison.Ordinal)))
            {
                Assert.False(container.Children.ContainsKey("command"), "the image's entrypoint is depin; manifests pass args only");
                string[] args = [.. container.Strings("args")];
                commands.Add(new DepinCommand($"{Deploy.NameOf(workload)}/{container.Text("name")}", args));
                // Kubernetes leaves $(NAME) as it is when the container defines no such variable.
                string[] defined = [.. container.Seq("env").Cast<YamlMappingNode>().Select(e => e.Text("name")!)];
                foreach (Match reference in Regex.Matches(string.Join(' ', args), @"\$\((\w+)\)"))
                    Assert.Contains(reference.Groups[1].Value, defined);
            }

        Assert.Empty(ParseProblems(commands));
        string[] verbs = [.. commands.Select(c => Verb(c.Args)).Distinct()];
        foreach (string verb in new[] { "model info", "db migrate", "coordinator", "worker" }) Assert.Contains(verb, verbs);
        // In-cluster URLs name a Service and one of its ports.
        foreach (Uri url in commands.SelectMany(c => c.Args).Select(a => Uri.TryCreate(a, UriKind.Absolute, out Uri? u) && u.Scheme == "http" ? u : null).OfType<Uri>())
        {
            YamlMappingNode service = Assert.Single(Files.Objects, o => o.Text("kind") == "Service" && Deploy.NameOf(o) == url.Host);
            Assert.Contains(service.Map("spec").Seq("ports").Cast<YamlMappingNode>(), p => p.Text("port") == url.Port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
        Assert.Contains(Files.Kustomization.Seq("images").Cast<YamlMappingNode>(), i => i.Text("name") == DepinImage);
    }

    [Fact]
    public void Kubernetes_WorkerStatefulSets_ServeEveryLayerTwice_OnDifferentHostsAndKeys()
    {
        int layers = LlamaCheckpoint.Read(SharedModels.Stories260K).Config.Layers;
        YamlMappingNode[] sets = [.. Files.Workloads.Where(w => w.Text("kind") == "StatefulSet" && Containers(w).Any(c => c.Strings("args").FirstOrDefault() == "worker"))];
        var keystores = new HashSet<string>();

        Assert.Equal(3, sets.Length);
        foreach (YamlMappingNode set in sets)
        {
            YamlMappingNode spec = set.Map("spec"), pod = spec.Map("template").Map("spec");
            string[] args = [.. Containers(set).Single().Strings("args")];
            Assert.Equal("2", spec.Text("replicas"));
            // Pod N unlocks key N of its span's own keystore Secret, which holds exactly one key per replica.
            Assert.Equal("$(POD_INDEX)", OptionValue(args, "--account"));
            // The data path's port is a declared container port (the runner connects to it directly).
            Assert.Contains(OptionValue(args, "--data-port")!, ContainerPorts(Containers(set).Single()));
            string keystore = pod.Seq("volumes").Cast<YamlMappingNode>().Single(v => v.Text("name") == "keystore").Map("secret").Text("secretName")!;
            Assert.True(keystores.Add(keystore), $"{keystore} is shared between spans");
            Assert.Equal(new[] { "node-0.json", "node-1.json" }, Files.GeneratorKeys("secretGenerator", keystore));
            // The two replicas of a span never share a host.
            YamlMappingNode term = Assert.Single(pod.Map("affinity").Map("podAntiAffinity").Seq("requiredDuringSchedulingIgnoredDuringExecution").Cast<YamlMappingNode>());
            Assert.Equal("kubernetes.io/hostname", term.Text("topologyKey"));
            Assert.Equal(Deploy.Labels(spec.Map("selector"), "matchLabels"), Deploy.Labels(term.Map("labelSelector"), "matchLabels"));
        }
        AssertEveryLayerServed(layers, 1, sets.Select(s => OptionValue([.. Containers(s).Single().Strings("args")], "--layers")!));
    }

    [Fact]
    public void Dockerfiles_CopyPathsThatExist_AndRunAsNonRoot()
    {
        string docker = Path.Combine(Files.Folder, "docker");
        string[] dockerfiles = [.. Directory.EnumerateFiles(docker, "*.Dockerfile")];
        var problems = new List<string>();

        Assert.Equal(2, dockerfiles.Length);
        foreach (string dockerfile in dockerfiles)
        {
            string name = Path.GetFileName(dockerfile);
            string ignoreFile = dockerfile + ".dockerignore";
            if (!File.Exists(ignoreFile)) { problems.Add($"{name} has no {name}.dockerignore"); continue; }
            var ignore = new DockerIgnore(File.ReadAllLines(ignoreFile));
            string[][] instructions = [.. DockerInstructions(File.ReadAllText(dockerfile))];
            HashSet<string> stages = [.. instructions.Where(i => i[0] == "FROM" && i.Length == 4 && i[2].Equals("AS", StringComparison.OrdinalIgnoreCase)).Select(i => i[3])];
            foreach (string[] copy in instructions.Where(i => i[0] is "COPY" or "ADD"))
            {
                if (copy.FirstOrDefault(a => a.StartsWith("--from=", StringComparison.Ordinal)) is { } from)
                {
                    if (!stages.Contains(from["--from=".Length..])) problems.Add($"{name}: {from} names no stage");
                    continue;
                }
                string[] sources = [.. copy.Skip(1).Where(a => !a.StartsWith("--", StringComparison.Ordinal)).SkipLast(1)];
                foreach (string source in sources)
                {
                    string path = Path.Combine(Files.Root, source.TrimEnd('/'));
                    if (!File.Exists(path) && !Directory.Exists(path)) problems.Add($"{name}: COPY {source}: no such path in the repository");
                    else if (ignore.Excludes(SampleFile(source))) problems.Add($"{name}: COPY {source} is excluded by its .dockerignore");
                }
            }
            string? user = instructions.LastOrDefault(i => i[0] == "USER")?[1];
            if (user is null or "root" or "0") problems.Add($"{name}: the image runs as root");
        }

        Assert.Empty(problems);
        // The compose file builds exactly these Dockerfiles from the repository root.
        foreach ((_, YamlMappingNode service) in Deploy.Entries(Files.Compose.Map("services")))
            if (service.Children.ContainsKey("build"))
            {
                Assert.Equal(Files.Root, Path.GetFullPath(Path.Combine(Files.Folder, service.Map("build").Text("context")!)));
                Assert.Contains(Path.GetFullPath(Path.Combine(Files.Root, service.Map("build").Text("dockerfile")!)), dockerfiles);
            }
    }

    private sealed record DepinCommand(string Where, string[] Args);

    /// <summary>Every <c>depin</c> command line the compose file runs: a depin service's command, or the depin lines of its shell script.</summary>
    private static IReadOnlyList<DepinCommand> ComposeDepinCommands()
    {
        var commands = new List<DepinCommand>();
        foreach ((string name, YamlMappingNode service) in Deploy.Entries(Files.Compose.Map("services")))
        {
            if (service.Text("image")?.StartsWith(DepinImage + ":", StringComparison.Ordinal) != true) continue;
            string[] command = [.. service.Strings("command").Select(Deploy.Interpolate)];
            string[] entrypoint = [.. service.Strings("entrypoint")];
            if (entrypoint.Length == 0) commands.Add(new DepinCommand(name, command));
            else if (entrypoint[0] == "bash")
                commands.AddRange(Shell.Commands(Assert.Single(command)).Where(words => words[0] == "depin").Select(words => new DepinCommand(name, words[1..])));
            else Assert.Fail($"{name}: entrypoint {entrypoint[0]} is neither depin nor a shell");
        }
        return commands;
    }

    /// <summary>One line per command line the real <c>depin</c> parser rejects (or that names no verb).</summary>
    private static List<string> ParseProblems(IEnumerable<DepinCommand> commands)
    {
        var problems = new List<string>();
        foreach (DepinCommand command in commands)
        {
            var context = new CliContext(TextWriter.Null, TextWriter.Null, new ModelResolver(Path.GetTempPath()));
            ParseResult parsed = DepinCli.BuildRoot(context).Parse(command.Args);
            if (parsed.Errors.Count > 0)
                problems.Add($"{command.Where}: depin {string.Join(' ', command.Args)} → {string.Join("; ", parsed.Errors.Select(e => e.Message))}");
            else if (parsed.CommandResult.Command is RootCommand) problems.Add($"{command.Where}: depin {string.Join(' ', command.Args)} names no verb");
        }
        return problems;
    }

    private static string Verb(string[] args) => args[0] is "worker" or "coordinator" ? args[0] : $"{args[0]} {args[1]}";

    private static string? OptionValue(string[] args, string option)
    {
        int at = Array.IndexOf(args, option);
        return at >= 0 && at + 1 < args.Length ? args[at + 1] : null;
    }

    private static void AssertEveryLayerServed(int layers, int times, IEnumerable<string> spans)
    {
        int[] served = new int[layers];
        foreach (string span in spans)
        {
            (int first, int last) = Commands.WorkerCommand.ParseRange(span, "--layers");
            Assert.InRange(last, first, layers - 1);
            for (int layer = first; layer <= last; layer++) served[layer]++;
        }
        Assert.All(served, count => Assert.Equal(times, count));
    }

    private static IEnumerable<(string Service, string Condition)> ComposeDependencies(YamlMappingNode service) =>
        !service.Children.TryGetValue("depends_on", out YamlNode? node) ? []
        : node is YamlSequenceNode list ? list.Select(n => (n.ToString(), "service_started"))
        : Deploy.Entries((YamlMappingNode)node).Select(e => (e.Key, e.Value.Text("condition") ?? "service_started"));

    private static IEnumerable<string> ComposeImageProblems(string name, YamlMappingNode service, YamlMappingNode services)
    {
        string? image = service.Text("image");
        if (image is null && !service.Children.ContainsKey("build")) yield return $"{name} has neither image nor build";
        // A project image must be built by some service of this file; others are pinned public images.
        if (image is not null && image.StartsWith("depinledger/", StringComparison.Ordinal)
            && !Deploy.Entries(services).Any(s => s.Value.Text("image") == image && s.Value.Children.ContainsKey("build")))
            yield return $"{name}: no service builds {image}";
        if (image is not null && !image.Contains(':', StringComparison.Ordinal)) yield return $"{name}: image {image} has no tag";
    }

    private static IEnumerable<string> DependencyCycles(YamlMappingNode services)
    {
        var state = new Dictionary<string, bool>(); // false: on the current path, true: done
        var cycles = new List<string>();
        void Visit(string name)
        {
            if (state.TryGetValue(name, out bool done)) { if (!done) cycles.Add($"depends_on cycle through {name}"); return; }
            state[name] = false;
            if (services.Children.TryGetValue(name, out YamlNode? node))
                foreach ((string dependency, _) in ComposeDependencies((YamlMappingNode)node)) Visit(dependency);
            state[name] = true;
        }
        foreach ((string name, _) in Deploy.Entries(services)) Visit(name);
        return cycles;
    }

    private static string HealthcheckOf(YamlMappingNode services, string name) =>
        string.Join(' ', ((YamlMappingNode)services[name]).Map("healthcheck").Strings("test"));

    private static IEnumerable<YamlMappingNode> Containers(YamlMappingNode workload, bool includeInit = false)
    {
        YamlMappingNode pod = workload.Map("spec").Map("template").Map("spec");
        IEnumerable<YamlNode> all = includeInit ? pod.Seq("initContainers").Concat(pod.Seq("containers")) : pod.Seq("containers");
        return all.Cast<YamlMappingNode>();
    }

    private static HashSet<string> ContainerPorts(YamlMappingNode container) =>
        [.. container.Seq("ports").Cast<YamlMappingNode>().SelectMany(p => new[] { p.Text("name"), p.Text("containerPort") }).OfType<string>()];

    /// <summary>A pod template's references: ConfigMaps and Secrets that exist, probes on the container's ports, mounts of declared volumes.</summary>
    private static IEnumerable<string> PodProblems(string workload, YamlMappingNode o, HashSet<string> configMaps, HashSet<string> secrets)
    {
        YamlMappingNode pod = o.Map("spec").Map("template").Map("spec");
        HashSet<string> volumes = [.. pod.Seq("volumes").Cast<YamlMappingNode>().Select(v => v.Text("name")!),
            .. o.Map("spec").Seq("volumeClaimTemplates").Cast<YamlMappingNode>().Select(v => v.Map("metadata").Text("name")!)];
        foreach (YamlMappingNode volume in pod.Seq("volumes").Cast<YamlMappingNode>())
        {
            if (volume.Map("configMap").Text("name") is { } configMap && !configMaps.Contains(configMap)) yield return $"{workload}: unknown ConfigMap {configMap}";
            if (volume.Map("secret").Text("secretName") is { } secret && !secrets.Contains(secret)) yield return $"{workload}: unknown Secret {secret}";
            foreach (YamlMappingNode item in volume.Map("configMap").Seq("items").Cast<YamlMappingNode>())
                if (!Files.GeneratorKeys("configMapGenerator", volume.Map("configMap").Text("name")!).Contains(item.Text("key")!))
                    yield return $"{workload}: ConfigMap {volume.Map("configMap").Text("name")} has no file {item.Text("key")}";
        }
        foreach (YamlMappingNode container in Containers(o, includeInit: true))
        {
            string where = $"{workload}/{container.Text("name")}";
            foreach (YamlMappingNode env in container.Seq("env").Cast<YamlMappingNode>())
            {
                YamlMappingNode from = env.Map("valueFrom");
                if (from.Map("configMapKeyRef").Text("name") is { } configMap && !configMaps.Contains(configMap)) yield return $"{where}: unknown ConfigMap {configMap}";
                if (from.Map("secretKeyRef").Text("name") is { } secret && !secrets.Contains(secret)) yield return $"{where}: unknown Secret {secret}";
            }
            HashSet<string> ports = ContainerPorts(container);
            foreach (string probe in new[] { "startupProbe", "readinessProbe", "livenessProbe" })
            {
                YamlMappingNode spec = container.Map(probe);
                string? port = spec.Map("httpGet").Text("port") ?? spec.Map("tcpSocket").Text("port") ?? spec.Map("grpc").Text("port");
                if (port is not null && !ports.Contains(port)) yield return $"{where}: {probe} on port {port}, which the container does not declare";
                if (spec.Children.Count > 0 && port is null && !spec.Children.ContainsKey("exec")) yield return $"{where}: {probe} probes nothing";
            }
            foreach (YamlMappingNode mount in container.Seq("volumeMounts").Cast<YamlMappingNode>())
                if (!volumes.Contains(mount.Text("name")!)) yield return $"{where}: mounts undeclared volume {mount.Text("name")}";
        }
    }

    /// <summary>Dockerfile instructions as words, continuation lines joined, comments dropped.</summary>
    private static IEnumerable<string[]> DockerInstructions(string text)
    {
        string joined = Regex.Replace(text, @"\\\r?\n", " ");
        foreach (string line in joined.Split('\n'))
        {
            string trimmed = line.Trim();
            if (trimmed.Length == 0 || trimmed.StartsWith('#')) continue;
            string[] words = trimmed.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            words[0] = words[0].ToUpperInvariant();
            yield return words;
        }
    }

    /// <summary>A file the COPY of <paramref name="source"/> brings (the first one in the repository for a folder), as a context path.</summary>
    private static string SampleFile(string source)
    {
        string path = Path.Combine(Files.Root, source.TrimEnd('/'));
        if (File.Exists(path)) return source;
        string file = Directory.EnumerateFiles(path, "*.cs", SearchOption.AllDirectories).Concat(Directory.EnumerateFiles(path, "*", SearchOption.AllDirectories))
            .First(f => !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                && !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal));
        return Path.GetRelativePath(Files.Root, file).Replace(Path.DirectorySeparatorChar, '/');
    }

    /// <summary>The files under deploy/, loaded once.</summary>
    private sealed class Deploy
    {
        public required string Root { get; init; }

        public string Folder => Path.Combine(Root, "deploy");

        public string ComposePath => Path.Combine(Folder, "compose.yaml");

        public required YamlMappingNode Compose { get; init; }

        public required YamlMappingNode Kustomization { get; init; }

        /// <summary>Every object of the kustomization's resources.</summary>
        public required IReadOnlyList<YamlMappingNode> Objects { get; init; }

        public IEnumerable<YamlMappingNode> Workloads => Objects.Where(o => o.Text("kind") is "Deployment" or "StatefulSet" or "Job" or "DaemonSet");

        public static Deploy Load()
        {
            string root = AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar);
            while (!File.Exists(Path.Combine(root, "DePinLedger.sln"))) root = Path.GetDirectoryName(root) ?? throw new DirectoryNotFoundException("no DePinLedger.sln above the test binaries");
            string k8s = Path.Combine(root, "deploy", "k8s");
            YamlMappingNode kustomization = Single(Path.Combine(k8s, "kustomization.yaml"));
            return new Deploy
            {
                Root = root,
                Compose = Single(Path.Combine(root, "deploy", "compose.yaml")),
                Kustomization = kustomization,
                Objects = [.. kustomization.Strings("resources").SelectMany(r => ReadYaml(Path.Combine(k8s, r))).Select(d => (YamlMappingNode)d.RootNode)],
            };
        }

        /// <summary>Every document of a YAML file, with merge keys (<c>&lt;&lt;: *anchor</c>) applied as Compose applies them.</summary>
        public static IReadOnlyList<YamlDocument> ReadYaml(string path)
        {
            using var reader = new StreamReader(path);
            var stream = new YamlStream();
            stream.Load(new MergingParser(new Parser(reader)));
            return [.. stream.Documents];
        }

        private static YamlMappingNode Single(string path) => (YamlMappingNode)Assert.Single(ReadYaml(path)).RootNode;

        /// <summary>Names the kustomization generates under <paramref name="generator"/> (configMapGenerator, secretGenerator).</summary>
        public HashSet<string> Generated(string generator) => [.. Kustomization.Seq(generator).Cast<YamlMappingNode>().Select(g => g.Text("name")!)];

        /// <summary>The file keys of one generated ConfigMap or Secret ("key=path" entries of its files).</summary>
        public string[] GeneratorKeys(string generator, string name) =>
            [.. Kustomization.Seq(generator).Cast<YamlMappingNode>().Single(g => g.Text("name") == name).Strings("files").Select(f => f.Split('=')[0]).Order(StringComparer.Ordinal)];

        /// <summary>Every file the generators read (env files and the paths of files entries).</summary>
        public IEnumerable<string> GeneratorSources() =>
            new[] { "configMapGenerator", "secretGenerator" }.SelectMany(g => Kustomization.Seq(g).Cast<YamlMappingNode>())
                .SelectMany(g => g.Strings("envs").Concat(g.Strings("files").Select(f => f.Split('=')[^1])));

        public static string NameOf(YamlMappingNode o) => o.Map("metadata").Text("name")!;

        public static Dictionary<string, string> Labels(YamlMappingNode template, string key = "labels") =>
            (key == "labels" ? template.Map("metadata") : template).Map(key).Children.ToDictionary(e => e.Key.ToString(), e => e.Value.ToString());

        public static IEnumerable<(string Key, YamlMappingNode Value)> Entries(YamlMappingNode map) =>
            map.Children.Select(e => (e.Key.ToString(), e.Value as YamlMappingNode ?? new YamlMappingNode()));

        /// <summary>Compose's substitution: <c>$$</c> is a literal <c>$</c>, <c>${NAME:-default}</c> its default (the host environment is not this test's).</summary>
        public static string Interpolate(string value) =>
            Regex.Replace(value, @"\$\$|\$\{[A-Za-z_][A-Za-z0-9_]*(?::?-(?<default>[^}]*))?\}", m => m.Value == "$$" ? "$" : m.Groups["default"].Value);
    }

    /// <summary>
    /// Splits a shell script into simple commands (words, quotes removed) at newlines, <c>;</c>, <c>|</c>,
    /// <c>&amp;&amp;</c>, <c>||</c>, braces and redirections, dropping a leading <c>if</c>/<c>then</c>/<c>exec</c>.
    /// Enough for the plain scripts in deploy/, not a shell.
    /// </summary>
    private static class Shell
    {
        private static readonly HashSet<string> Prefixes = ["if", "then", "else", "elif", "do", "exec", "!", "{", "}"];

        public static IEnumerable<string[]> Commands(string script)
        {
            var words = new List<string>();
            var word = new StringBuilder();
            bool inWord = false;
            IEnumerable<string[]> Flush()
            {
                EndWord();
                int skip = 0;
                while (skip < words.Count && Prefixes.Contains(words[skip])) skip++;
                if (skip < words.Count) yield return [.. words.Skip(skip)];
                words.Clear();
            }
            void EndWord()
            {
                if (inWord) words.Add(word.ToString());
                word.Clear();
                inWord = false;
            }
            for (int i = 0; i < script.Length; i++)
            {
                char c = script[i];
                if (c is '\'' or '"')
                {
                    int end = script.IndexOf(c, i + 1);
                    Assert.True(end > i, $"unterminated quote in: {script}");
                    word.Append(script, i + 1, end - i - 1);
                    inWord = true;
                    i = end;
                }
                else if (c == '\\' && i + 1 < script.Length && script[i + 1] == '\n') i++;
                else if (c is '\n' or ';' or '|' or '&' or '>' or '<')
                    foreach (string[] command in Flush()) yield return command;
                else if (c is ' ' or '\t') EndWord();
                else
                {
                    word.Append(c);
                    inWord = true;
                }
            }
            foreach (string[] command in Flush()) yield return command;
        }
    }

    /// <summary>The patterns of a .dockerignore: the last pattern that matches a path or one of its folders decides; <c>!</c> re-includes.</summary>
    private sealed class DockerIgnore(IEnumerable<string> lines)
    {
        private readonly (Regex Pattern, bool Include)[] _rules = [.. lines.Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith('#'))
            .Select(l => (Glob(l.TrimStart('!').Trim('/')), l.StartsWith('!')))];

        public bool Excludes(string path)
        {
            string[] parts = path.Split('/');
            bool excluded = false;
            foreach ((Regex pattern, bool include) in _rules)
                if (Enumerable.Range(1, parts.Length).Any(n => pattern.IsMatch(string.Join('/', parts.Take(n))))) excluded = !include;
            return excluded;
        }

        private static Regex Glob(string pattern) =>
            new("^" + Regex.Escape(pattern).Replace(@"\*\*/", "(.*/)?", StringComparison.Ordinal).Replace(@"\*\*", ".*", StringComparison.Ordinal)
                .Replace(@"\*", "[^/]*", StringComparison.Ordinal).Replace(@"\?", "[^/]", StringComparison.Ordinal) + "$");
    }
}

/// <summary>Null-tolerant navigation of YAML mappings: a missing key reads as an empty node, so checks read as paths.</summary>
internal static class YamlNavigation
{
    public static YamlMappingNode Map(this YamlMappingNode node, string key) =>
        node.Children.TryGetValue(key, out YamlNode? value) && value is YamlMappingNode map ? map : new YamlMappingNode();

    public static YamlSequenceNode Seq(this YamlMappingNode node, string key) =>
        node.Children.TryGetValue(key, out YamlNode? value) && value is YamlSequenceNode list ? list : new YamlSequenceNode();

    public static string? Text(this YamlMappingNode node, string key) =>
        node.Children.TryGetValue(key, out YamlNode? value) && value is YamlScalarNode scalar ? scalar.Value : null;

    /// <summary>A sequence of scalars (or one scalar) as strings.</summary>
    public static IEnumerable<string> Strings(this YamlMappingNode node, string key) =>
        !node.Children.TryGetValue(key, out YamlNode? value) ? []
        : value is YamlScalarNode scalar ? [scalar.Value ?? ""]
        : value is YamlSequenceNode list ? list.Select(n => ((YamlScalarNode)n).Value ?? "")
        : [];
}
