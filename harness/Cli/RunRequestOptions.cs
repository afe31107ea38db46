using System.CommandLine;
using PeftBench.Harness.Planning;

namespace PeftBench.Harness.Cli;

/// <summary>The options that describe a run's matrix, shared by the run command and <c>plan</c> (which emits job scripts for it).</summary>
public sealed class RunRequestOptions
{
    public required Option<string?> Suite { get; init; }
    public required Option<string[]> Tasks { get; init; }
    public required Option<string[]> Models { get; init; }
    public required Option<string[]> Methods { get; init; }
    public required Option<string[]> Budgets { get; init; }
    public required Option<string[]> Seeds { get; init; }
    public required Option<string[]> Settings { get; init; }
    public required Option<string?> Profile { get; init; }
    public required Option<string> Device { get; init; }
    public required Option<string[]> Devices { get; init; }
    public required Option<string> Precision { get; init; }
    public required Option<int?> Threads { get; init; }
    public required Option<string?> Out { get; init; }
    public required Option<bool> Force { get; init; }
    public required Option<string?> DataDir { get; init; }
    public required Option<bool> SaveAdapters { get; init; }
    public required Option<bool> Augment { get; init; }
    public required Option<bool> TrainOnInputs { get; init; }
    public required Option<string?> Shard { get; init; }

    public IEnumerable<Option> All => [Suite, Tasks, Models, Methods, Budgets, Seeds, Settings, Profile, Device, Devices, Precision, Threads, Out, Force, DataDir, SaveAdapters, Augment, TrainOnInputs, Shard];

    private static Option<string[]> ListOption(string name, string description) => new(name)
    {
        Description = description + " Comma-separated or repeated; globs allowed.",
        AllowMultipleArgumentsPerToken = true,
    };

    public static RunRequestOptions Create() => new()
    {
        Suite = new Option<string?>("--suite") { Description = "Suite to run (glue, ci, vision, audio, math, code …; `list suites`). Combine with --tasks to narrow it." },
        Tasks = ListOption("--tasks", "Task ids, e.g. glue/sst2,glue/rte or glue/*."),
        Models = ListOption("--models", "Model ids (tiny-bert, tiny-llama) or Hugging Face encoder or decoder folders. Default: the suite's models (tiny-bert for glue)."),
        Methods = ListOption("--methods", "Method ids, e.g. lora,bitfit. Default: the suite's methods (glue: the six foundation methods; ci: every registered one), or all without a suite."),
        Budgets = ListOption("--budgets", "Trainable-parameter budgets: % of the backbone (0.1%) or counts (20k). Methods with a knob are fitted to each; others run once."),
        Seeds = ListOption("--seeds", "Seeds, e.g. 0,1,2 or 0-4. Default: the profile's seeds."),
        Settings = ListOption("--set", "Method settings, e.g. lora.rank=16, houlsby.bottleneck=32, *.learning_rate=1e-3."),
        Profile = new Option<string?>("--profile") { Description = "Training recipe: smoke (seconds), ci, default, paper or instruct (generation tasks). Default: the suite's (ci: ci; math, code: instruct), else default." },
        Device = new Option<string>("--device") { Description = "cpu or cuda[:N].", DefaultValueFactory = _ => "cpu" },
        Devices = ListOption("--devices", "One worker process per device pulling cells from the plan, e.g. cuda:0,cuda:1 (or cpu,cpu); cell keys name the devices' kind (cuda), so any worker may take any cell. A worker that dies has its cell recorded as failed and retried once by another."),
        Precision = new Option<string>("--precision") { Description = "fp32 (default) or bf16: the backbone's projections compute in bfloat16 (emulated autocast; TorchSharp 0.107 has none); part of the cell key.", DefaultValueFactory = _ => "fp32" },
        Threads = new Option<int?>("--threads") { Description = "CPU threads for libtorch per process (pinned and recorded; results are bit-identical only at the same count). Default: the suite's (ci: 2), else all cores, split between --devices workers." },
        Out = new Option<string?>("--out") { Description = "Run folder. Default: results/runs/SUITE-PROFILE (re-running resumes it)." },
        Force = new Option<bool>("--force") { Description = "Re-run cells that already have a result." },
        DataDir = new Option<string?>("--data-dir") { Description = "Folder with the real GLUE layout (CoLA/, SST-2/ …). Default: the embedded data." },
        SaveAdapters = new Option<bool>("--save-adapters") { Description = "Save each cell's trained adapter under RUN/adapters/CELL-KEY: in huggingface/peft's layout (adapter_config.json + adapter_model.safetensors) where peft has the method, else in PeftBench's own adapter-only format (peftbench_adapter.json + adapter_model.safetensors)." },
        Augment = new Option<bool>("--augment") { Description = "Augment image and audio training batches (random horizontal flip and translation by up to 1/8 of the side; SpecAugment frequency and time masks), drawn from the cell seed. Recorded in those cells' keys; text cells are unaffected. Off by default." },
        TrainOnInputs = new Option<bool>("--train-on-inputs") { Description = "Generation tasks (math, code): take the loss on the prompt's tokens as well as the response's. Off by default (response tokens only, as Alpaca-style instruction tuning). Recorded in those cells' keys, since it changes method rankings." },
        Shard = new Option<string?>("--shard") { Description = "i/n: run the i-th of n deterministic slices of the matrix (shards may run on different machines into one results folder; `report` merges them)." },
    };

    public RunRequest Read(ParseResult parse)
    {
        static IReadOnlyList<string> Split(string[]? values) =>
            (values ?? []).SelectMany(v => v.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToList();
        return new RunRequest
        {
            Suite = parse.GetValue(Suite),
            Tasks = Split(parse.GetValue(Tasks)),
            Models = Split(parse.GetValue(Models)),
            Methods = Split(parse.GetValue(Methods)),
            Budgets = Split(parse.GetValue(Budgets)),
            Seeds = Split(parse.GetValue(Seeds)),
            Settings = Split(parse.GetValue(Settings)),
            Profile = parse.GetValue(Profile),
            Device = parse.GetValue(Device)!,
            Devices = Split(parse.GetValue(Devices)),
            Precision = parse.GetValue(Precision)!,
            Threads = parse.GetValue(Threads),
            Out = parse.GetValue(Out),
            Force = parse.GetValue(Force),
            DataDir = parse.GetValue(DataDir),
            SaveAdapters = parse.GetValue(SaveAdapters),
            Augment = parse.GetValue(Augment),
            TrainOnInputs = parse.GetValue(TrainOnInputs),
            Shard = parse.GetValue(Shard),
        };
    }

    /// <summary>The same request as command-line arguments (for job scripts), without <c>--out</c> and <c>--shard</c>.</summary>
    public static IReadOnlyList<string> ToArguments(RunRequest r)
    {
        var args = new List<string>();
        void Add(string name, string? value) { if (!string.IsNullOrEmpty(value)) { args.Add(name); args.Add(value); } }
        void AddList(string name, IReadOnlyList<string> values) { if (values.Count > 0) Add(name, string.Join(",", values)); }
        Add("--suite", r.Suite);
        AddList("--tasks", r.Tasks);
        AddList("--models", r.Models);
        AddList("--methods", r.Methods);
        AddList("--budgets", r.Budgets);
        AddList("--seeds", r.Seeds);
        AddList("--set", r.Settings);
        Add("--profile", r.Profile);
        Add("--device", r.Device);
        AddList("--devices", r.Devices);
        if (r.Precision != Planning.Precision.Fp32.Id) Add("--precision", r.Precision);
        Add("--threads", r.Threads?.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Add("--data-dir", r.DataDir);
        if (r.SaveAdapters) args.Add("--save-adapters");
        if (r.Augment) args.Add("--augment");
        if (r.TrainOnInputs) args.Add("--train-on-inputs");
        return args;
    }

    /// <summary>
    /// The request as a worker of <paramref name="plan"/> must plan it: the same matrix, shard and run folder, on the
    /// devices' kind (the key device) at the resolved thread count, as one process (the worker adds its own device).
    /// </summary>
    public static IReadOnlyList<string> WorkerArguments(RunRequest request, RunPlan plan)
    {
        var single = request with
        {
            Device = plan.Cells.FirstOrDefault()?.Device ?? "cpu",
            Devices = [],
            Threads = plan.Cells.FirstOrDefault()?.Threads ?? request.Threads,
        };
        var args = new List<string>(ToArguments(single)) { "--out", plan.OutputDirectory };
        if (request.Shard is { } shard) args.AddRange(["--shard", shard]);
        return args;
    }
}
