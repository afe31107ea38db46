// P-tuning — Liu, Zheng, Du, Ding, Qian, Yang & Tang, "GPT Understands, Too", AI Open 2023 (arXiv 2103.10385), §3.2:
// virtual tokens come out of a prompt encoder over trainable embeddings e_0 … e_{l−1},
//     h_i = Encoder(e_i)   (a bidirectional LSTM then a ReLU MLP in the paper),   X' = [e(x_0); h_0 … h_{l−1}; e(x_1 …)],
// and are spliced into the input in place of token embeddings; the language model stays frozen. As huggingface/peft's
// PromptEncoder (P_TUNING): the MLP encoder (peft's default) is Linear(d, h) → ReLU → Linear(h, h) → ReLU → Linear(h, d);
// the LSTM encoder is a 2-layer bidirectional LSTM(d → h) → Linear(2h, 2h) → ReLU → Linear(2h, d); h defaults to d.
// Only the encoder's output P ∈ ℝ^{l×d} is saved (peft's prompt_embeddings) and serves inference.
// Placement: after [CLS] (the last special token of a patch sequence), as prompt tuning here, so a first-token head
// reads [CLS]; peft prepends before [CLS], where RoBERTa's head would read a virtual token. The backbone adds position
// and segment-0 embeddings to the virtual tokens. Init: e ~ N(0, 1) (nn.Embedding); linears as torch.nn.Linear; LSTM
// weights U(±1/√h) as torch.nn.LSTM; all seeded.
// Trainable (MLP): l·d + (d·h + h) + (h·h + h) + (h·d + d); saved: l·d.

using System.Globalization;
using System.Text.Json.Nodes;
using PeftBench.Core.Checkpoints;
using PeftBench.Core.Methods;
using PeftBench.Core.Models;
using PeftBench.Core.Sites;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace PeftBench.Methods;

public enum PromptEncoderType { Mlp, Lstm }

/// <summary>
/// P-tuning settings, peft's PromptEncoderConfig defaults: MLP encoder, hidden width = d (<see cref="EncoderHidden"/> 0),
/// 2 LSTM layers, no dropout; 20 virtual tokens; lr 1e-3 (peft's P-tuning examples) for encoder and head.
/// </summary>
public sealed record PTuningConfig : MethodConfig
{
    public PTuningConfig() => LearningRate = 1e-3;

    public int PromptLength { get; init; } = 20;
    public PromptEncoderType Encoder { get; init; } = PromptEncoderType.Mlp;
    /// <summary>Hidden width h of the encoder; 0 = the model's width d (peft's default).</summary>
    public int EncoderHidden { get; init; }
    /// <summary>LSTM layers (the MLP always has peft's three linears).</summary>
    public int EncoderLayers { get; init; } = 2;
    /// <summary>Dropout between LSTM layers (peft's encoder_dropout).</summary>
    public double EncoderDropout { get; init; }
    public int ReservedInputTokens { get; init; } = 32;
    public double HeadLearningRate { get; init; } = 1e-3;

    public override IEnumerable<string> Validate()
    {
        foreach (var problem in base.Validate()) yield return problem;
        var inv = CultureInfo.InvariantCulture;
        if (PromptLength < 1) yield return $"prompt_length must be at least 1 (got {PromptLength.ToString(inv)}).";
        if (EncoderHidden < 0) yield return $"encoder_hidden must be 0 (the model's width) or positive (got {EncoderHidden.ToString(inv)}).";
        if (EncoderLayers < 1) yield return $"encoder_layers must be at least 1 (got {EncoderLayers.ToString(inv)}).";
        if (!(EncoderDropout >= 0 && EncoderDropout < 1)) yield return $"encoder_dropout must be in [0, 1) (got {EncoderDropout.ToString(inv)}).";
        if (ReservedInputTokens < 1) yield return $"reserved_input_tokens must be at least 1 (got {ReservedInputTokens.ToString(inv)}).";
        if (!(HeadLearningRate > 0) || double.IsInfinity(HeadLearningRate))
            yield return $"head_learning_rate must be a positive number (got {HeadLearningRate.ToString(inv)}).";
        if (!Enum.IsDefined(Encoder)) yield return $"encoder must be one of {string.Join(", ", Enum.GetNames<PromptEncoderType>())}.";
    }
}

/// <summary>l virtual tokens from a trainable prompt encoder, spliced after [CLS]; only the encoder's output is saved.</summary>
public sealed class PTuning : PeftMethod<PTuningConfig>, IPeftCheckpointMethod
{
    /// <summary>Name under the input site: parameters are <c>….input_site.p_tuning.*</c>.</summary>
    public const string AdapterName = "p_tuning";

    public override string Id => "p-tuning";
    public override int Version => 1;
    public override string Family => "prompt";
    public override string Citation => "Liu et al., 2021 (P-tuning, GPT Understands, Too): virtual tokens h_i = Encoder(e_i) (LSTM or MLP) spliced into the input.";
    public override string Description => "20 virtual tokens produced by peft's MLP prompt encoder (or a biLSTM) from trainable embeddings, inserted after [CLS]; the output is saved.";
    public override PTuningConfig Defaults => new();
    public override Knob Knob => new("prompt_length", 1, 512);
    public override bool PreservesOutputAtInit => false;

    protected override PTuningConfig WithKnob(PTuningConfig config, int value) => config with { PromptLength = value };
    protected override int KnobValue(PTuningConfig config) => config.PromptLength;

    public override string? NotApplicableReason(SiteRegistry sites) =>
        sites.InputEmbeddings is null ? "the backbone has no input-embedding site to insert virtual tokens into."
        : sites.InputEmbeddings.Kind == InputKind.Patches ? "P-tuning's virtual tokens belong to a token sequence with a token-embedding table; this backbone reads image/spectrogram patches (for patches: vpt-shallow, vpt-deep)."
        : null;

    protected override Knob? KnobFor(SiteRegistry sites, PTuningConfig config) =>
        PromptRoom.Cap(Knob, PromptRoom.MaxLength(sites.InputEmbeddings, config.ReservedInputTokens));

    protected override IEnumerable<string> Validate(PTuningConfig config, SiteRegistry sites) =>
        PromptRoom.Problems(Id, "prompt_length", config.PromptLength, sites.InputEmbeddings, config.ReservedInputTokens);

    protected override long CountTrainable(SiteRegistry sites, PTuningConfig config)
    {
        long d = sites.InputEmbeddings?.Width ?? 0, h = config.EncoderHidden > 0 ? config.EncoderHidden : d;
        var encoder = config.Encoder == PromptEncoderType.Mlp
            ? SeededLinear.Count(d, h) + SeededLinear.Count(h, h) + SeededLinear.Count(h, d)
            : BidirectionalLstm.Count(d, h, config.EncoderLayers) + SeededLinear.Count(2 * h, 2 * h) + SeededLinear.Count(2 * h, d);
        return config.PromptLength * d + encoder;
    }

    protected override MethodAttachment Apply(SequenceClassifier model, PTuningConfig config, MethodContext context)
    {
        var site = model.Sites.InputEmbeddings!;
        model.FreezeAll();
        model.SetHeadTrainable(true);
        var prompt = new EncodedPrompt(config, site.Width, context);
        site.Attach(AdapterName, prompt);
        return new HeadRateAttachment(config, config.HeadLearningRate, prompt.AddedPositions * site.Width);
    }

    private static EncodedPrompt Prompt(SequenceClassifier model) =>
        model.Sites.InputEmbeddings?.Current as EncodedPrompt ?? throw new InvalidOperationException("no p-tuning prompt is attached to the model.");

    // peft's P_TUNING layout: prompt_embeddings = the encoder's output, the head under base_model.
    public JsonObject ToPeftConfig(MethodConfig config, IReadOnlyList<string> targetModules)
    {
        var c = (PTuningConfig)config;
        return new JsonObject
        {
            ["peft_type"] = "P_TUNING", ["num_virtual_tokens"] = c.PromptLength,
            ["encoder_reparameterization_type"] = c.Encoder == PromptEncoderType.Mlp ? "MLP" : "LSTM",
            ["encoder_num_layers"] = c.EncoderLayers, ["encoder_dropout"] = c.EncoderDropout, ["num_transformer_submodules"] = 1,
            ["auto_mapping"] = null, ["base_model_name_or_path"] = null, ["revision"] = null,
        };
    }

    public void AddTrainedState(JsonObject adapterConfig, SequenceClassifier model, string modulePrefix)
    {
        var prompt = Prompt(model);
        adapterConfig["token_dim"] = prompt.Width;
        adapterConfig["encoder_hidden_size"] = prompt.Hidden;
        adapterConfig["num_layers"] = model.Sites.LayerCount;
    }

    public MethodConfig FromPeftConfig(JsonObject adapterConfig)
    {
        PeftAdapterCheckpoint.Require(adapterConfig, "num_transformer_submodules", 1);
        var type = PeftAdapterCheckpoint.Field(adapterConfig, "encoder_reparameterization_type", "MLP");
        return Defaults with
        {
            PromptLength = PeftAdapterCheckpoint.Field(adapterConfig, "num_virtual_tokens", 0),
            Encoder = type == "LSTM" ? PromptEncoderType.Lstm : type == "MLP" ? PromptEncoderType.Mlp
                : throw new NotSupportedException($"encoder_reparameterization_type = {type} is not supported here (only MLP, LSTM)."),
            EncoderHidden = PeftAdapterCheckpoint.Field(adapterConfig, "encoder_hidden_size", 0),
            EncoderLayers = PeftAdapterCheckpoint.Field(adapterConfig, "encoder_num_layers", 2),
            EncoderDropout = PeftAdapterCheckpoint.Field(adapterConfig, "encoder_dropout", 0.0),
        };
    }

    public string HeadKeyPrefix => "base_model.";

    public IReadOnlyDictionary<string, Tensor> ModelTensorsToPeft(SequenceClassifier model) => PromptRoom.ToPeft(Prompt(model).Output);

    /// <summary>The saved output serves the reloaded model directly, as in peft's inference mode.</summary>
    public IReadOnlyCollection<string> LoadModelTensors(SequenceClassifier model, IReadOnlyDictionary<string, Tensor> tensors) =>
        PromptRoom.LoadPeft(tensors, Prompt(model).Pin);
}

/// <summary>P = Encoder(e) ∈ ℝ^{l×d}, spliced after the first position; after loading a checkpoint, P is the saved output.</summary>
public sealed class EncodedPrompt : SplicedPrompt
{
    public Parameter embedding;
    private readonly BidirectionalLstm? lstm_head;
    private readonly SeededLinear mlp_head_0;
    private readonly SeededLinear mlp_head_2;
    private readonly SeededLinear? mlp_head_4;
    private Tensor? pinned;

    public long Width { get; }
    public long Hidden { get; }
    public override long AddedPositions => embedding.shape[0];

    public EncodedPrompt(PTuningConfig config, long width, MethodContext context) : base(nameof(EncodedPrompt))
    {
        Width = width;
        Hidden = config.EncoderHidden > 0 ? config.EncoderHidden : width;
        embedding = new Parameter(context.Randn(config.PromptLength, width));
        if (config.Encoder == PromptEncoderType.Lstm)
        {
            lstm_head = new BidirectionalLstm(width, Hidden, config.EncoderLayers, config.EncoderDropout, context);
            mlp_head_0 = new SeededLinear(2 * Hidden, 2 * Hidden, context);
            mlp_head_2 = new SeededLinear(2 * Hidden, width, context);
        }
        else
        {
            mlp_head_0 = new SeededLinear(width, Hidden, context);
            mlp_head_2 = new SeededLinear(Hidden, Hidden, context);
            mlp_head_4 = new SeededLinear(Hidden, width, context);
        }
        RegisterComponents();
    }

    /// <summary>[l, d], computed by the same ops whether trained, saved or reloaded.</summary>
    public Tensor Output()
    {
        if (pinned is not null) return pinned;
        if (lstm_head is not null) return mlp_head_2.call(F.relu(mlp_head_0.call(lstm_head.call(embedding))));
        return mlp_head_4!.call(F.relu(mlp_head_2.call(F.relu(mlp_head_0.call(embedding)))));
    }

    protected override Tensor Prompt() => Output();

    public void Pin(Tensor saved) => pinned = PromptRoom.Pinned(saved, embedding.shape, embedding, "prompt");
}

/// <summary>
/// torch.nn.LSTM(bidirectional, batch of one) over an [l, d_in] sequence with raw, seeded parameters under torch's
/// names (weight_ih_l0, weight_hh_l0_reverse …): gates i, f, g, o = W_ih x + b_ih + W_hh h + b_hh; c' = σ(f)c + σ(i)tanh(g);
/// h' = σ(o)tanh(c'); each layer's two directions concatenated, dropout between layers. Returns [l, 2h].
/// </summary>
public sealed class BidirectionalLstm : nn.Module<Tensor, Tensor>
{
    private readonly List<(Parameter Wih, Parameter Whh, Parameter Bih, Parameter Bhh)> cells = new();
    private readonly long hidden;
    private readonly double dropout;

    public BidirectionalLstm(long input, long hidden, int layers, double dropout, MethodContext context) : base(nameof(BidirectionalLstm))
    {
        this.hidden = hidden;
        this.dropout = dropout;
        var bound = 1.0 / Math.Sqrt(hidden);
        Parameter Draw(params long[] shape)
        {
            using var _ = no_grad();
            return new Parameter(context.Rand(shape).mul_(2 * bound).sub_(bound));
        }
        for (var layer = 0; layer < layers; layer++)
        for (var direction = 0; direction < 2; direction++)
        {
            var suffix = $"l{layer}{(direction == 1 ? "_reverse" : "")}";
            var cell = (Draw(4 * hidden, layer == 0 ? input : 2 * hidden), Draw(4 * hidden, hidden), Draw(4 * hidden), Draw(4 * hidden));
            register_parameter($"weight_ih_{suffix}", cell.Item1);
            register_parameter($"weight_hh_{suffix}", cell.Item2);
            register_parameter($"bias_ih_{suffix}", cell.Item3);
            register_parameter($"bias_hh_{suffix}", cell.Item4);
            cells.Add(cell);
        }
    }

    /// <summary>Elements: per layer and direction 4h·(in + h) + 8h, in = d for the first layer, 2h after.</summary>
    public static long Count(long input, long hidden, int layers) =>
        Enumerable.Range(0, layers).Sum(layer => 2 * (4 * hidden * ((layer == 0 ? input : 2 * hidden) + hidden) + 8 * hidden));

    public override Tensor forward(Tensor sequence)
    {
        var x = sequence;
        for (var layer = 0; layer < cells.Count / 2; layer++)
        {
            if (layer > 0 && dropout > 0) x = F.dropout(x, dropout, training);
            x = cat(new[] { Run(x, cells[2 * layer], reverse: false), Run(x, cells[2 * layer + 1], reverse: true) }, 1);
        }
        return x;
    }

    private Tensor Run(Tensor x, (Parameter Wih, Parameter Whh, Parameter Bih, Parameter Bhh) cell, bool reverse)
    {
        long length = x.shape[0];
        var inputs = F.linear(x, cell.Wih, cell.Bih);
        var h = zeros(1, hidden, dtype: x.dtype, device: x.device);
        var c = zeros(1, hidden, dtype: x.dtype, device: x.device);
        var outputs = new Tensor[length];
        for (long step = 0; step < length; step++)
        {
            var t = reverse ? length - 1 - step : step;
            var gates = (inputs.narrow(0, t, 1) + F.linear(h, cell.Whh, cell.Bhh)).chunk(4, 1);
            c = gates[1].sigmoid() * c + gates[0].sigmoid() * gates[2].tanh();
            h = gates[3].sigmoid() * c.tanh();
            outputs[t] = h;
        }
        return cat(outputs, 0);
    }
}
