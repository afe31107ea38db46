using System.CommandLine;
using PeftBench.Core.Methods;
using PeftBench.Harness.Planning;
using Spectre.Console;

namespace PeftBench.Harness.Cli;

/// <summary><c>list [methods|tasks|models|suites|profiles]</c>: what can be run.</summary>
public static class ListCommand
{
    private static readonly string[] Kinds = { "methods", "tasks", "models", "suites", "profiles" };

    public static void AddTo(RootCommand root, Composition composition)
    {
        var kind = new Argument<string?>("kind") { Description = string.Join(", ", Kinds) + " (default: all)", Arity = ArgumentArity.ZeroOrOne };
        var list = new Command("list", "List registered methods, tasks, models, suites and profiles.") { kind };
        list.SetAction(parse => Execute(parse.GetValue(kind), composition, AnsiConsole.Console));
        root.Subcommands.Add(list);
    }

    public static int Execute(string? kind, Composition composition, IAnsiConsole console)
    {
        if (kind is not null && !Kinds.Contains(kind))
        {
            console.MarkupLine($"[red]unknown list '{Markup.Escape(kind)}'[/]; choose one of {string.Join(", ", Kinds)}.");
            return ExitCodes.Usage;
        }
        bool Show(string k) => kind is null || kind == k;
        if (Show("methods"))
        {
            var applicability = MethodApplicability.OnReferenceArchitectures(composition.Methods.All);
            var t = new Table().Title("methods").AddColumns("id", "family", "knob", "merge", "applies to", "paper");
            foreach (var m in composition.Methods.All)
                t.AddRow(m.Id, m.Family, m.Knob is { } k ? $"{k.Name} [[{k.Min}..{k.Max}]]" : "—", m.CanMerge ? "yes" : "no",
                    Markup.Escape(applicability.Summary(m.Id)), Markup.Escape(m.Citation));
            console.Write(t);
            foreach (var (method, architecture, reason) in applicability.Exclusions)
                console.MarkupLine($"[grey]{Markup.Escape(method)} not applicable to {Markup.Escape(architecture)}: {Markup.Escape(reason)}[/]");
        }
        if (Show("tasks"))
        {
            var t = new Table().Title("tasks").AddColumns("id", "suites", "head", "metrics (primary first)", "description");
            foreach (var task in composition.Tasks.All)
                t.AddRow(task.Id, string.Join(",", task.Suites), task.Generation is { } g ? (g.Greedy ? "generation (greedy)" : $"generation ({g.Samples} samples)") : task.Head.IsRegression ? "regression" : $"{task.Head.Outputs} classes",
                    string.Join(", ", task.Metrics.Select(m => m.Name + (m.HigherIsBetter ? "↑" : "↓"))), Markup.Escape(task.Description));
            console.Write(t);
        }
        if (Show("models"))
        {
            var t = new Table().Title("models").AddColumns("id", "family", "params", "description");
            foreach (var m in composition.ModelDescriptions())
                t.AddRow(m.Id, m.ModelType, m.ParameterCount.ToString("N0", System.Globalization.CultureInfo.InvariantCulture), Markup.Escape(m.Description));
            console.Write(t);
            console.MarkupLine("Any Hugging Face BERT/RoBERTa folder (config.json + model.safetensors + vocab.txt or vocab.json/merges.txt) GPT-2/LLaMA/Mistral/Qwen2 folder (+ tokenizer.json or vocab.json/merges.txt) or ViT/AST folder (+ preprocessor_config.json) can be given by path.");
        }
        if (Show("suites"))
        {
            var t = new Table().Title("suites").AddColumns("id", "tasks", "default methods", "defaults", "description");
            foreach (var s in composition.Suites.Values)
                t.AddRow(s.Id, string.Join(", ", s.TaskIds), Markup.Escape(string.Join(", ", s.DefaultMethods.Select(m => m == PeftBench.Tasks.Suites.AllMethods ? "all registered" : m))),
                    Markup.Escape(string.Join(" ", new[] { s.DefaultProfile is { } p ? $"--profile {p}" : null, s.DefaultBudgets is { } b ? $"--budgets {string.Join(",", b)}" : null, s.DefaultThreads is { } th ? $"--threads {th}" : null }.OfType<string>())),
                    Markup.Escape(s.Description));
            console.Write(t);
        }
        if (Show("profiles"))
        {
            var t = new Table().Title("profiles").AddColumns("id", "seeds", "recipe", "description");
            foreach (var p in Profiles.All)
                t.AddRow(p.Id, string.Join(",", p.DefaultSeeds), Markup.Escape(p.Recipe.ToJson().ToJsonString()), Markup.Escape(p.Description));
            console.Write(t);
        }
        return ExitCodes.Ok;
    }
}
