using System.Text.Json.Nodes;
using PeftBench.Core.Catalogs;

namespace PeftBench.Core.Models;

public enum ModelSourceKind { BuiltIn, Shipped, Folder, HuggingFaceCache }

/// <summary>
/// Where a model spec led: its config.json text (always) and, except for built-in architectures, the folder that
/// holds its weights and tokenizer.
/// </summary>
public sealed record ModelSource(string Id, ModelSourceKind Kind, string ConfigJson, string ConfigSource, string? Folder)
{
    public string ModelType => JsonNode.Parse(ConfigJson)?["model_type"]?.GetValue<string>()
        ?? throw new InvalidDataException($"{ConfigSource}: no model_type.");
}

/// <summary>
/// Resolves a model spec without any network access, in this order: a folder path holding <c>config.json</c>; a
/// built-in architecture (<see cref="BuiltInArchitectures"/>); a shipped zoo model (<c>tiny-bert</c>); an
/// <c>org/name</c> present in the local Hugging Face hub cache (<c>$HF_HUB_CACHE</c>, else <c>$HF_HOME/hub</c>,
/// else <c>~/.cache/huggingface/hub</c>), at the snapshot <c>refs/main</c> names.
/// </summary>
public static class ModelResolver
{
    public static ModelSource Resolve(string spec, ModelZoo? zoo = null, string? hubCache = null)
    {
        if (string.IsNullOrWhiteSpace(spec)) throw new ArgumentException("empty model spec: give a built-in name (e.g. llama-7b), a zoo id, a folder or org/name.");
        if (Directory.Exists(spec))
        {
            var config = Path.Combine(spec, "config.json");
            if (!File.Exists(config)) throw new FileNotFoundException($"model folder '{spec}' has no config.json (not a Hugging Face model folder).", config);
            var folder = Path.GetFullPath(spec);
            return new ModelSource(Path.GetFileName(folder.TrimEnd('/')), ModelSourceKind.Folder, File.ReadAllText(config), config, folder);
        }
        if (BuiltInArchitectures.All.Contains(spec))
        {
            var a = BuiltInArchitectures.All.Get(spec);
            return new ModelSource(a.Name, ModelSourceKind.BuiltIn, a.ConfigJson, $"built-in {a.Name} ({a.HubId} config.json)", null);
        }
        zoo ??= new ModelZoo();
        if (zoo.Shipped.Contains(spec))
        {
            var entry = zoo.Shipped.Get(spec);
            var config = Path.Combine(entry.Folder, "config.json");
            return new ModelSource(entry.Id, ModelSourceKind.Shipped, File.ReadAllText(config), config, entry.Folder);
        }
        if (spec.Count(c => c == '/') == 1 && !spec.StartsWith('.') && !spec.StartsWith('/'))
        {
            var cache = hubCache ?? DefaultHubCache();
            var snapshot = CachedSnapshot(cache, spec)
                ?? throw new DirectoryNotFoundException(
                    $"model '{spec}' is not in the local Hugging Face cache ({cache}); PeftBench never downloads. " +
                    $"Copy the model folder there (or pass its path), or use a built-in architecture: {string.Join(", ", BuiltInArchitectures.All.Ids)}.");
            var config = Path.Combine(snapshot, "config.json");
            if (!File.Exists(config)) throw new FileNotFoundException($"cached model '{spec}' ({snapshot}) has no config.json.", config);
            return new ModelSource(spec, ModelSourceKind.HuggingFaceCache, File.ReadAllText(config), config, snapshot);
        }
        var known = BuiltInArchitectures.All.Ids.Concat(zoo.Shipped.Ids).ToList();
        var near = known.OrderBy(k => Catalog<string>.Levenshtein(k, spec)).Take(3);
        throw new KeyNotFoundException(
            $"unknown model '{spec}'. Did you mean {string.Join(", ", near)}? Known: {string.Join(", ", known)}; " +
            "a folder path or an org/name in the local Hugging Face cache also work.");
    }

    public static string DefaultHubCache()
    {
        var hub = Environment.GetEnvironmentVariable("HF_HUB_CACHE");
        if (!string.IsNullOrEmpty(hub)) return hub;
        var home = Environment.GetEnvironmentVariable("HF_HOME");
        if (string.IsNullOrEmpty(home))
            home = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "huggingface");
        return Path.Combine(home, "hub");
    }

    /// <summary>The snapshot folder of <c>org/name</c> in a hub cache: the one <c>refs/main</c> names, else the only one.</summary>
    public static string? CachedSnapshot(string hubCache, string repoId)
    {
        var repo = Path.Combine(hubCache, "models--" + repoId.Replace("/", "--"));
        var snapshots = Path.Combine(repo, "snapshots");
        if (!Directory.Exists(snapshots)) return null;
        var main = Path.Combine(repo, "refs", "main");
        if (File.Exists(main))
        {
            var named = Path.Combine(snapshots, File.ReadAllText(main).Trim());
            if (Directory.Exists(named)) return named;
        }
        var all = Directory.GetDirectories(snapshots);
        return all.Length == 1 ? all[0] : null;
    }
}
