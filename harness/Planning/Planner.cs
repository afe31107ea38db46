using System.Globalization;
using System.Text.Json.Nodes;
using PeftBench.Core.Catalogs;
using PeftBench.Core.Methods;
using PeftBench.Core.Tasks;
using PeftBench.Harness.Probes;
using PeftBench.Tasks;

namespace PeftBench.Harness.Planning;

/// <summary>Everything a plan is built from: the frozen catalogs and a way to open models.</summary>
public sealed record PlanningContext(
    Catalog<TaskSpec> Tasks,
    Catalog<IPeftMethod> Methods,
    IReadOnlyDictionary<string, Suite> Suites,
    Func<string, IBackboneSource> OpenModel);

/// <summary>Raised with every problem found, before any training starts.</summary>
public sealed class PlanException(IReadOnlyList<string> problems)
    : Exception(string.Join(Environment.NewLine, problems))
{
    public IReadOnlyList<string> Problems { get; } = problems;
}

/// <summary>
/// Validates a request completely (ids with near-match suggestions, settings, budgets each method can meet,
/// data and weights present, recipe) and expands it into cells. Nothing trains until this has succeeded.
/// </summary>
public static class Planner
{
    public static RunPlan Plan(RunRequest request, PlanningContext context)
    {
        var problems = new List<string>();
        // A suite supplies defaults for whatever the request leaves out; anything given explicitly wins.
        var suite = request.Suite is { } s && context.Suites.TryGetValue(s, out var found) ? found : null;

        var profileId = request.Profile ?? suite?.DefaultProfile ?? "default";
        var profile = Profiles.Find(profileId);
        if (profile is null) problems.Add($"unknown profile '{profileId}'. Known: {string.Join(", ", Profiles.All.Select(p => p.Id))}.");
        problems.AddRange((profile?.Recipe.Validate() ?? Array.Empty<string>()).Select(p => $"profile {profileId}: {p}"));

        var tasks = ResolveTasks(request, context, problems);
        var methodIds = request.Methods.Count > 0 ? request.Methods : suite?.DefaultMethods ?? new[] { Suites.AllMethods };
        var methods = Collect(() => context.Methods.Resolve(methodIds), problems) ?? Array.Empty<IPeftMethod>();
        var budgets = new List<Budget>();
        foreach (var b in request.Budgets.Count > 0 ? request.Budgets : suite?.DefaultBudgets ?? Array.Empty<string>())
            try { budgets.Add(Budget.Parse(b)); } catch (FormatException e) { problems.Add(e.Message); }
        var seeds = ParseSeeds(request.Seeds, profile, problems);

        var precision = Precision.Find(request.Precision);
        if (precision is null)
            problems.Add($"unknown --precision '{request.Precision}'. Known: {string.Join(", ", Precision.All.Select(p => p.Id))}.");
        var (device, workerDevices) = ResolveDevices(request, precision, problems);
        // Workers share the machine's cores unless told otherwise; a suite's pinned count (ci: 2) stays, as its
        // baseline was measured at it.
        var threads = request.Threads ?? suite?.DefaultThreads ?? Math.Max(1, Environment.ProcessorCount / Math.Max(1, workerDevices.Count));
        if (threads < 1) problems.Add($"--threads must be at least 1 (got {threads}).");

        var data = new DataOptions(request.DataDir is null ? null : Path.GetFullPath(request.DataDir));
        if (request.DataDir is not null && !Directory.Exists(data.DataDirectory))
            problems.Add($"--data-dir '{request.DataDir}' does not exist. Point it at a folder with the GLUE layout (CoLA/, SST-2/, MRPC/ …), or omit it to use the embedded data.");
        else
            foreach (var task in tasks)
                problems.AddRange(task.Data.Check(data).Select(p => $"{task.Id}: {p}"));

        // The suite's settings first, for the methods this run selects; --set comes after them and so wins.
        var suiteSettings = (suite?.DefaultSettings ?? []).Where(setting => methods.Any(m => SettingTargets(setting, m.Id)));
        var settings = ParseSettings([.. suiteSettings, .. request.Settings], methods, problems);

        var models = new List<IBackboneSource>();
        var modelIds = request.Models.Count > 0 ? request.Models : suite?.DefaultModels ?? Suites.DefaultModels;
        foreach (var id in modelIds)
        {
            try { models.Add(context.OpenModel(id)); }
            catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException or InvalidDataException or KeyNotFoundException or ArgumentException)
            { problems.Add($"model '{id}': {e.Message}"); }
        }

        foreach (var model in models)
            foreach (var task in tasks.Where(t => t.Modality != model.InputModality))
                problems.Add(ModalityMismatch(task, model, request));
        foreach (var model in models.Where(m => !m.IsDecoder && m.InputModality == Modality.Text))
            foreach (var task in tasks.Where(t => t.IsGeneration))
                problems.Add($"{task.Id} is a generation task; {model.Id} ({(request.Models.Count > 0 ? "--models" : "the default models")}) is an encoder without a language-model head: use --models tiny-llama (or another decoder folder).");
        foreach (var task in tasks.Where(t => t.Generation is not null))
            problems.AddRange(task.Generation!.Validate().Select(p => $"{task.Id}: {p}"));
        if (request.TrainOnInputs && !tasks.Any(t => t.IsGeneration))
            problems.Add("--train-on-inputs applies to generation tasks (math, code) only; none is selected.");

        var cells = new List<PlannedCell>();
        if (profile is not null && precision is not null)
        {
            foreach (var model in models)
            foreach (var method in methods)
            {
                var config = settings.TryGetValue(method.Id, out var overrides) ? overrides(method.DefaultConfig) : method.DefaultConfig;
                if (method.NotApplicableReason(model.Sites) is { } reason)
                {
                    // Recorded, not refused: a suite over several backbones goes on with the methods that apply.
                    foreach (var task in tasks)
                    foreach (var seed in seeds)
                    {
                        var identity = Identity(task, data, model, method, config, null, seed, profile, device, threads, precision, request.Augment, request.TrainOnInputs);
                        cells.Add(new PlannedCell(CellKey.Compute(identity), task, model, method, config, null, seed, profile, device, threads, data, precision!, identity)
                            { NotApplicable = reason, Augment = request.Augment, TrainOnInputs = request.TrainOnInputs });
                    }
                    continue;
                }
                var configProblems = method.Validate(config, model.Sites).ToList();
                if (configProblems.Count > 0)
                {
                    problems.AddRange(configProblems.Select(p => $"{method.Id} on {model.Id}: {p}"));
                    continue;
                }
                var variants = new List<(MethodConfig Config, BudgetFit? Fit)>();
                if (budgets.Count == 0 || method.Knob is null) variants.Add((method.Resolve(model.Sites, config), null));
                else
                    foreach (var budget in budgets)
                    {
                        try { var fit = BudgetFitter.Fit(method, model.Sites, config, budget, model.ParameterCount); variants.Add((fit.Config, fit)); }
                        catch (BudgetException e) { problems.Add($"on {model.Id}: {e.Message}"); }
                    }
                foreach (var (resolved, fit) in variants)
                foreach (var task in tasks)
                foreach (var seed in seeds)
                {
                    var identity = Identity(task, data, model, method, resolved, fit, seed, profile, device, threads, precision!, request.Augment, request.TrainOnInputs);
                    cells.Add(new PlannedCell(CellKey.Compute(identity), task, model, method, resolved, fit, seed, profile, device, threads, data, precision!, identity)
                        { Augment = request.Augment, TrainOnInputs = request.TrainOnInputs, NotApplicable = GenerationNotApplicable(task, method, model, resolved) });
                }
            }
        }

        var shard = request.Shard is { } spec ? ParseShard(spec, problems) : null;
        if (problems.Count > 0) throw new PlanException(problems.Distinct().ToList());
        if (shard is { } sh) cells = Slice(cells, sh.Index, sh.Count);
        // bf16 runs get their own default folder: reports average a folder's cells over seeds and do not split by precision.
        var outDir = request.Out ?? Path.Combine("results", "runs", $"{request.Suite ?? "custom"}-{profile!.Id}{(precision!.IsDefault ? "" : "-" + precision.Id)}");
        return new RunPlan(Path.GetFullPath(outDir), profile!, cells, request.Suite) { WorkerDevices = workerDevices };
    }

    /// <summary>
    /// Shard <paramref name="index"/> of <paramref name="count"/> (1-based): every count-th cell of the plan in planning
    /// order, so each shard gets a mix of methods and tasks. Shards are disjoint and together cover the plan, for the
    /// same request on any machine; they share a results folder safely because every result is its own key-named,
    /// atomically written file.
    /// </summary>
    public static List<PlannedCell> Slice(IReadOnlyList<PlannedCell> cells, int index, int count) =>
        cells.Where((_, position) => position % count == index - 1).ToList();

    /// <summary>
    /// The device in the cell keys and the worker devices. One process (<c>--device</c>): the key names that device as
    /// given (<c>cuda:1</c>), as it always has. Workers (<c>--devices</c>): the key names their common kind (<c>cpu</c>,
    /// <c>cuda</c>), so cells do not depend on which worker takes them and resume under any device list; mixing kinds
    /// is refused. Every device is checked here, before anything trains: its name, CUDA in this build, the GPU index
    /// and, for bf16, that the device computes it.
    /// </summary>
    private static (string KeyDevice, IReadOnlyList<string> Workers) ResolveDevices(RunRequest request, Precision? precision, List<string> problems)
    {
        var single = DeviceNames.Normalize(request.Device);
        var workers = request.Devices.Select(DeviceNames.Normalize).ToList();
        var checkedDevices = workers.Count > 0 ? workers : [single];
        var kinds = checkedDevices.Select(DeviceNames.Kind).Distinct().ToList();
        if (kinds.Count > 1)
            problems.Add($"--devices {string.Join(",", request.Devices)} mixes CPU and CUDA; cells are keyed by the devices' kind, so give devices of one kind.");
        if (workers.Count > 0 && single != "cpu" && DeviceNames.Kind(single) != kinds[0])
            problems.Add($"--device {request.Device} and --devices {string.Join(",", request.Devices)} disagree; give one of them.");
        var usable = new List<string>();
        foreach (var d in checkedDevices.Distinct())
        {
            if (DeviceNames.FormatProblem(d) is { } format) problems.Add(format);
            else if (DeviceNames.IsCuda(d) && !TorchSharp.torch.cuda.is_available())
                problems.Add($"device '{d}' requested but CUDA is not available: this build uses the {BuildInfo.TorchBackend} backend. Build with -p:TorchBackend=cuda on a machine with an NVIDIA driver, or use cpu.");
            else if (DeviceNames.IsCuda(d) && DeviceNames.CudaIndex(d) >= TorchSharp.torch.cuda.device_count())
                problems.Add($"device '{d}' requested but this machine has {TorchSharp.torch.cuda.device_count()} GPU(s) (cuda:0 … cuda:{TorchSharp.torch.cuda.device_count() - 1}).");
            else usable.Add(d);
        }
        if (precision is { IsDefault: false })
            foreach (var d in usable)
                if (Bf16Support.Problem(d) is { } unsupported) problems.Add(unsupported);
        return (workers.Count > 0 ? kinds[0] : single, workers);
    }

    private static (int Index, int Count)? ParseShard(string spec, List<string> problems)
    {
        var parts = spec.Split('/');
        if (parts.Length == 2 && int.TryParse(parts[0], out var i) && int.TryParse(parts[1], out var n) && n >= 1 && i >= 1 && i <= n)
            return (i, n);
        problems.Add($"--shard '{spec}' must be i/n with 1 ≤ i ≤ n (e.g. 1/4 for the first of four shards).");
        return null;
    }

    private static List<TaskSpec> ResolveTasks(RunRequest request, PlanningContext context, List<string> problems)
    {
        var ids = new List<string>();
        if (request.Suite is { } suite)
        {
            if (context.Suites.TryGetValue(suite, out var suiteSpec)) ids.AddRange(suiteSpec.TaskIds);
            else
            {
                var near = context.Suites.Keys.OrderBy(k => Catalog<string>.Levenshtein(k, suite)).Take(2);
                problems.Add($"unknown suite '{suite}'. Did you mean {string.Join(" or ", near.Select(n => $"'{n}'"))}? Known suites: {string.Join(", ", context.Suites.Keys)}.");
            }
        }
        ids.AddRange(request.Tasks);
        if (ids.Count == 0) { problems.Add("nothing to run: give --suite (e.g. --suite glue) or --tasks."); return new(); }
        // --suite plus --tasks narrows the suite (--suite glue --tasks glue/sst2) rather than adding to it.
        if (request.Suite is not null && request.Tasks.Count > 0)
        {
            var narrowed = Collect(() => context.Tasks.Resolve(request.Tasks), problems) ?? Array.Empty<TaskSpec>();
            return narrowed.ToList();
        }
        return (Collect(() => context.Tasks.Resolve(ids), problems) ?? Array.Empty<TaskSpec>()).ToList();
    }

    private static IReadOnlyList<T>? Collect<T>(Func<IReadOnlyList<T>> resolve, List<string> problems)
    {
        try { return resolve(); }
        catch (KeyNotFoundException e) { problems.Add(e.Message.Trim('\'', '"')); return null; }
    }

    private static IReadOnlyList<long> ParseSeeds(IReadOnlyList<string> raw, Profile? profile, List<string> problems)
    {
        if (raw.Count == 0) return profile?.DefaultSeeds ?? new long[] { 0 };
        var seeds = new List<long>();
        foreach (var s in raw)
        {
            var dash = s.IndexOf('-', 1);
            if (dash > 0 && long.TryParse(s[..dash], NumberStyles.Integer, CultureInfo.InvariantCulture, out var from)
                && long.TryParse(s[(dash + 1)..], NumberStyles.Integer, CultureInfo.InvariantCulture, out var to) && to >= from && to - from < 1000)
                for (var x = from; x <= to; x++) seeds.Add(x);
            else if (long.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var single) && single >= 0) seeds.Add(single);
            else problems.Add($"--seeds: '{s}' is not a non-negative integer or a range like 0-4.");
        }
        return seeds.Distinct().ToList();
    }

    /// <summary>Whether <c>method.setting=value</c> names <paramref name="methodId"/> (exactly or by a glob).</summary>
    private static bool SettingTargets(string setting, string methodId)
    {
        var eq = setting.IndexOf('=');
        var dot = eq > 0 ? setting.LastIndexOf('.', eq) : -1;
        if (dot <= 0) return true; // malformed: let ParseSettings report it
        var pattern = setting[..dot];
        return Glob.IsGlob(pattern) ? Glob.Matches(pattern, methodId) : pattern == methodId;
    }

    /// <summary>Parses <c>method.setting=value</c>; a <c>*</c> method applies to every selected method that has the setting.</summary>
    private static Dictionary<string, Func<MethodConfig, MethodConfig>> ParseSettings(
        IReadOnlyList<string> raw, IReadOnlyList<IPeftMethod> methods, List<string> problems)
    {
        var result = new Dictionary<string, Func<MethodConfig, MethodConfig>>();
        foreach (var s in raw)
        {
            var eq = s.IndexOf('=');
            var dot = eq > 0 ? s.LastIndexOf('.', eq) : -1;
            if (eq <= 0 || dot <= 0)
            {
                problems.Add($"--set '{s}': expected METHOD.SETTING=VALUE, e.g. lora.rank=16 or *.learning_rate=1e-3.");
                continue;
            }
            var methodPattern = s[..dot];
            var name = s[(dot + 1)..eq];
            var value = s[(eq + 1)..];
            var targets = methods.Where(m => Glob.IsGlob(methodPattern) ? Glob.Matches(methodPattern, m.Id) : m.Id == methodPattern).ToList();
            if (targets.Count == 0)
            {
                problems.Add($"--set '{s}': method '{methodPattern}' is not among the selected methods ({string.Join(", ", methods.Select(m => m.Id))}).");
                continue;
            }
            foreach (var method in targets)
            {
                try
                {
                    method.DefaultConfig.With(name, value); // validate now, apply later
                    var previous = result.GetValueOrDefault(method.Id, c => c);
                    result[method.Id] = c => previous(c).With(name, value);
                }
                catch (ArgumentException e)
                {
                    if (!Glob.IsGlob(methodPattern)) problems.Add($"--set '{s}': {method.Id}: {e.Message}");
                }
            }
        }
        return result;
    }

    private static JsonObject Identity(TaskSpec task, DataOptions data, IBackboneSource model, IPeftMethod method, MethodConfig config,
        BudgetFit? fit, long seed, Profile profile, string device, int threads, Precision precision, bool augment, bool trainOnInputs) =>
        CellIdentity(task, data, model, method, config, fit?.Budget.Spec, seed, profile, device, threads, precision, augment, trainOnInputs);

    /// <summary>
    /// Why a method that applies to the backbone has nothing to train on a generation task: the linear probe trains only a
    /// new classification head, and a generation cell keeps the decoder's pretrained LM head instead.
    /// </summary>
    private static string? GenerationNotApplicable(TaskSpec task, IPeftMethod method, IBackboneSource model, MethodConfig config) =>
        task.IsGeneration && method.CountTrainable(model.Sites, config) == 0
            ? $"{method.Id} trains only a task head and nothing of the backbone; a generation task keeps {model.Id}'s pretrained language-model head, so it would train nothing."
            : null;

    /// <summary>
    /// "glue/sst2 is a text task; tiny-vit reads images: use --models tiny-bert (or another text backbone), or an image
    /// task (--suite vision)."
    /// </summary>
    private static string ModalityMismatch(TaskSpec task, IBackboneSource model, RunRequest request)
    {
        static string Reads(Modality m) => m switch { Modality.Image => "images", Modality.Audio => "audio", _ => "text" };
        static string Backbone(Modality m) => m switch { Modality.Image => "tiny-vit", Modality.Audio => "tiny-ast", _ => "tiny-bert" };
        static string TaskHint(Modality m) => m switch { Modality.Image => "an image task (--suite vision)", Modality.Audio => "an audio task (--suite audio)", _ => "a text task (--suite glue)" };
        var where = request.Models.Count > 0 ? "--models" : request.Suite is { } s ? $"suite {s}'s default models" : "the default models";
        var modality = task.Modality.ToString().ToLowerInvariant();
        return $"{task.Id} is {(modality == "image" || modality == "audio" ? "an" : "a")} {modality} task; {model.Id} ({where}) reads {Reads(model.InputModality)}: " +
            $"use --models {Backbone(task.Modality)} (or another {modality} backbone) for it, or {TaskHint(model.InputModality)} for {model.Id}.";
    }

    /// <summary>
    /// How an image or audio cell's inputs were prepared beyond the backbone's own preprocessing: the head's pooling
    /// (<c>cls</c> or <c>mean_patches</c>) and whether training augmentation (<c>--augment</c>) was on. Part of the
    /// cell key and recorded in the result's recipe; null for text cells, whose keys and results it leaves unchanged.
    /// </summary>
    public static JsonObject? InputSettings(TaskSpec task, IBackboneSource model, bool augment, bool trainOnInputs = false) =>
        task.Generation is { } generation ? new JsonObject
        {
            // Generation cells: how the loss is taken (the choice changes method rankings) and how the answers are decoded.
            ["modality"] = "text-generation",
            ["train_on_inputs"] = trainOnInputs,
            ["generation"] = generation.ToJson(),
        }
        : task.Modality == Modality.Text ? null : new JsonObject
        {
            ["modality"] = task.Modality.ToString().ToLowerInvariant(),
            ["pooling"] = model.ClassifierPooling,
            ["augment"] = augment,
        };

    /// <summary>What a cell key hashes; public so that a finished cell can be rebuilt from its result file and its key checked.</summary>
    public static JsonObject CellIdentity(TaskSpec task, DataOptions data, IBackboneSource model, IPeftMethod method, MethodConfig config,
        string? budgetSpec, long seed, Profile profile, string device, int threads, Precision precision, bool augment = false, bool trainOnInputs = false)
    {
        var identity = new JsonObject
        {
            ["task"] = task.Id,
            ["task_version"] = task.Version,
            ["data"] = task.Data.Describe(data),
            ["model"] = model.Id,
            ["model_sha256"] = model.Sha256,
            ["method"] = method.Id,
            ["method_version"] = method.Version,
            ["config"] = JsonNode.Parse(config.ToCanonicalJson()),
            ["budget"] = budgetSpec,
            ["seed"] = seed,
            ["profile"] = profile.Id,
            ["recipe"] = profile.Recipe.ToJson(),
            ["device"] = device,
            ["threads"] = threads,
        };
        // Only a non-default precision enters the key, so fp32 cells keep the keys they had before the option existed.
        if (!precision.IsDefault) identity["precision"] = precision.Id;
        // Text cells have no input settings, so their keys are those they had before images and audio existed.
        if (InputSettings(task, model, augment, trainOnInputs) is { } input) identity["input"] = input;
        return identity;
    }
}
