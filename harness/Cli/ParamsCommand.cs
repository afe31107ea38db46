using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using PeftBench.Core.Methods;
using PeftBench.Core.Models;

namespace PeftBench.Harness.Cli;

/// <summary>
/// <c>params --model M --method X [--set key=value ...] [--num-labels N] [--json]</c>: exact trainable, adapter, head
/// and total parameter counts of a method on any model, counted over the modules actually instantiated on the meta
/// device (no weights are read or allocated, nothing is downloaded). M is a built-in architecture (<c>llama-7b</c>),
/// a zoo id, a Hugging Face folder or an <c>org/name</c> in the local Hugging Face cache.
/// </summary>
public static class ParamsCommand
{
    public sealed record Request(string Model, string Method, IReadOnlyList<string> Settings, long? NumLabels, bool Json);

    public static void AddTo(RootCommand root, Composition composition)
    {
        var model = new Option<string>("--model") { Description = "Built-in architecture, zoo id, model folder or org/name in the local HF cache.", Required = true };
        var method = new Option<string>("--method") { Description = "Method id (see `list methods`).", Required = true };
        var set = new Option<string[]>("--set") { Description = "Method setting as key=value (e.g. rank=32, alpha=64, targets=q_proj,v_proj); repeatable.", AllowMultipleArgumentsPerToken = true };
        var labels = new Option<long?>("--num-labels") { Description = "Attach the family's sequence-classification head with N outputs (default: no head)." };
        var json = new Option<bool>("--json") { Description = "Print one JSON object instead of a table." };
        var command = new Command("params", "Exact parameter counts of a method on a model, without loading or allocating weights.") { model, method, set, labels, json };
        command.SetAction(parse => Execute(new Request(parse.GetValue(model)!, parse.GetValue(method)!, parse.GetValue(set) ?? [],
            parse.GetValue(labels), parse.GetValue(json)), composition, Console.Out, Console.Error));
        root.Subcommands.Add(command);
    }

    public static int Execute(Request request, Composition composition, TextWriter output, TextWriter error)
    {
        ParameterReport report;
        try
        {
            if (request.NumLabels is <= 0) throw new ArgumentException($"--num-labels must be positive (got {request.NumLabels}).");
            var method = composition.Methods.Get(request.Method);
            var config = method.DefaultConfig;
            foreach (var setting in request.Settings) config = config.With(setting);
            var problems = config.Validate().ToList();
            if (problems.Count > 0) throw new ArgumentException($"{method.Id}: {string.Join(" ", problems)}");
            var source = ModelResolver.Resolve(request.Model);
            report = ParameterAccounting.Count(source, method, config, request.NumLabels);
        }
        catch (Exception e) when (e is ArgumentException or KeyNotFoundException or IOException or InvalidDataException
                                       or NotSupportedException or InvalidOperationException or JsonException)
        {
            error.WriteLine($"params: {e.Message}");
            return ExitCodes.Usage;
        }
        catch (System.Runtime.InteropServices.ExternalException e)
        {
            error.WriteLine($"params: {request.Method} cannot be built shape-only on {request.Model} (it needs real weights or data at attach time): {e.Message.Split('\n')[0]}");
            return ExitCodes.Usage;
        }
        if (request.Json)
        {
            output.WriteLine(JsonSerializer.Serialize(report, new JsonSerializerOptions { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, WriteIndented = true }));
        }
        else
        {
            string N(long v) => v.ToString("N0", CultureInfo.InvariantCulture);
            output.WriteLine($"{report.Method} on {report.Model} ({report.ModelType}, {report.Source}){(report.NumLabels is { } n ? $", head with {n} outputs" : ", no head")}");
            output.WriteLine($"  trainable   {N(report.TrainableParams),16}  ({report.TrainablePercentOfTotal.ToString("F4", CultureInfo.InvariantCulture)}% of total)");
            output.WriteLine($"  adapter     {N(report.AdapterParams),16}  on {report.AdaptedSites} site(s)");
            if (report.MethodSavedParams != report.AdapterParams + report.UnfrozenBackboneParams)
                output.WriteLine($"  saved       {N(report.MethodSavedParams),16}  (what the method stores for inference; the rest trains only)");
            output.WriteLine($"  head        {N(report.HeadParams),16}");
            output.WriteLine($"  unfrozen    {N(report.UnfrozenBackboneParams),16}");
            output.WriteLine($"  backbone    {N(report.BackboneParams),16}  stored as {N(report.BackboneStoredBytes)} bytes (quantized weights: codes + constants)");
            output.WriteLine($"  total       {N(report.TotalParams),16}");
            output.WriteLine($"  method trains {report.MethodTrainablePercent.ToString("F4", CultureInfo.InvariantCulture)}% of the backbone; config {report.MethodConfig.ToJsonString()}");
            output.WriteLine($"  counted on the {report.CountedOn} in {report.WallSeconds.ToString("F2", CultureInfo.InvariantCulture)} s");
        }
        if (report.MethodFormulaParams != report.AdapterParams + report.UnfrozenBackboneParams)
        {
            error.WriteLine($"params: {report.Method} reports {report.MethodFormulaParams} trainable parameters for budget fitting, but " +
                            $"{report.AdapterParams + report.UnfrozenBackboneParams} were instantiated: the method's count is wrong.");
            return ExitCodes.CellsFailed;
        }
        return ExitCodes.Ok;
    }
}
