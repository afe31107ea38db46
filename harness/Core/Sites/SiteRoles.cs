namespace PeftBench.Core.Sites;

/// <summary>
/// The roles methods select sites by, shared by every backbone family (like <c>target_modules</c> in
/// huggingface/peft, but independent of a model's own module names).
/// </summary>
public static class SiteRoles
{
    public const string Query = "attn.q";
    public const string Key = "attn.k";
    public const string Value = "attn.v";
    public const string AttentionOutput = "attn.o";
    public const string MlpUp = "mlp.up";
    public const string MlpGate = "mlp.gate";
    public const string MlpDown = "mlp.down";
    /// <summary>A fused query/key/value projection (GPT-2's <c>c_attn</c>); also matched by each of q, k and v.</summary>
    public const string FusedQkv = "attn.qkv";
    public const string Head = "head";

    /// <summary>Residual-stream sites: a sublayer's output before it is added back to the residual.</summary>
    public const string AfterAttention = "residual.attn";
    public const string AfterMlp = "residual.mlp";

    public static readonly IReadOnlyList<string> LinearRoles =
        new[] { Query, Key, Value, FusedQkv, AttentionOutput, MlpUp, MlpGate, MlpDown, Head };
}
