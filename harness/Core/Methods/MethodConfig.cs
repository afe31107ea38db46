using System.Globalization;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace PeftBench.Core.Methods;

/// <summary>
/// Base of every method's configuration: a sealed record per method with defaults and <see cref="Validate"/>.
/// Sweeps are <c>config with { Rank = r }</c>; value equality and <see cref="ToCanonicalJson"/> give stable cell keys.
/// </summary>
public abstract record MethodConfig
{
    /// <summary>Peak AdamW learning rate for this method's parameters and the head.</summary>
    public double LearningRate { get; init; } = 1e-3;

    /// <summary>Readable problems, empty when valid. Derived records add their own checks.</summary>
    public virtual IEnumerable<string> Validate()
    {
        if (!(LearningRate > 0) || double.IsInfinity(LearningRate))
            yield return $"learning_rate must be a positive number (got {LearningRate.ToString(CultureInfo.InvariantCulture)}).";
    }

    private static readonly JsonSerializerOptions Canonical = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = false,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };

    /// <summary>Snake-case JSON of every property, sorted by name: the form hashed into cell keys and stored in results.</summary>
    public string ToCanonicalJson()
    {
        var node = JsonSerializer.SerializeToNode(this, GetType(), Canonical)!.AsObject();
        var sorted = new System.Text.Json.Nodes.JsonObject();
        foreach (var kv in node.OrderBy(kv => kv.Key, StringComparer.Ordinal)) sorted[kv.Key] = kv.Value?.DeepClone();
        return sorted.ToJsonString();
    }

    /// <summary>The config of type <paramref name="type"/> that <see cref="ToCanonicalJson"/> wrote (adapter checkpoints).</summary>
    public static MethodConfig FromCanonicalJson(Type type, string json) =>
        (MethodConfig)(JsonSerializer.Deserialize(json, type, Canonical)
            ?? throw new JsonException($"no {type.Name} in '{json}'."));

    /// <summary>Snake-case names of the settable properties, for error messages and <c>--set</c>.</summary>
    public IReadOnlyList<string> SettingNames() => SettableProperties().Select(p => JsonNamingPolicy.SnakeCaseLower.ConvertName(p.Name)).ToList();

    /// <summary>
    /// A copy with one setting changed from text (<c>rank=16</c>, <c>targets=query,value</c>); throws
    /// <see cref="ArgumentException"/> with the accepted names when the setting is unknown or unparsable.
    /// </summary>
    public MethodConfig With(string name, string value)
    {
        var property = SettableProperties().FirstOrDefault(p =>
            string.Equals(JsonNamingPolicy.SnakeCaseLower.ConvertName(p.Name), name, StringComparison.OrdinalIgnoreCase)
            || string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase))
            ?? throw new ArgumentException($"unknown setting '{name}' (settings: {string.Join(", ", SettingNames())}).");
        object parsed;
        try { parsed = Parse(property.PropertyType, value); }
        catch (Exception e) when (e is FormatException or OverflowException or ArgumentException)
        {
            throw new ArgumentException($"setting '{name}': cannot read '{value}' as {Describe(property.PropertyType)}.");
        }
        // Records are immutable: clone through the compiler's copy constructor, then set the init-only property.
        var copy = (MethodConfig)GetType().GetMethod("<Clone>$")!.Invoke(this, null)!;
        property.SetValue(copy, parsed);
        return copy;
    }

    /// <summary>A copy with one setting changed from <c>key=value</c> text (<c>params --set rank=16</c>).</summary>
    public MethodConfig With(string setting)
    {
        var eq = setting.IndexOf('=');
        if (eq <= 0) throw new ArgumentException($"setting '{setting}': expected key=value (settings: {string.Join(", ", SettingNames())}).");
        return With(setting[..eq].Trim(), setting[(eq + 1)..].Trim());
    }

    private IEnumerable<PropertyInfo> SettableProperties() =>
        GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.CanWrite && p.GetIndexParameters().Length == 0 && p.Name != "EqualityContract");

    private static object Parse(Type type, string text)
    {
        var inv = CultureInfo.InvariantCulture;
        if (type == typeof(int)) return int.Parse(text, inv);
        if (type == typeof(long)) return long.Parse(text, inv);
        if (type == typeof(double)) return double.Parse(text, inv);
        if (type == typeof(float)) return float.Parse(text, inv);
        if (type == typeof(bool)) return bool.Parse(text);
        if (type == typeof(string)) return text;
        if (type.IsEnum) return Enum.Parse(type, text.Replace("-", "").Replace("_", ""), ignoreCase: true);
        if (type == typeof(string[]) || type == typeof(IReadOnlyList<string>))
            return text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        throw new ArgumentException($"settings of type {type.Name} cannot be set from the command line.");
    }

    private static string Describe(Type t) => t.IsEnum ? $"one of {string.Join(", ", Enum.GetNames(t))}" : t.Name.ToLowerInvariant();
}
