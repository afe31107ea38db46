using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PeftBench.Core.Models;

/// <summary>
/// A sequence-level head over a backbone's hidden states; each family pools as its Hugging Face
/// <c>*ForSequenceClassification</c> does. <see cref="HeadName"/> is the module name in those checkpoints
/// (<c>classifier</c>, <c>score</c>). Always trainable.
/// </summary>
public abstract class SequenceHead : nn.Module<Tensor, ModelInputs, Tensor>
{
    protected SequenceHead(string name) : base(name) { HeadName = name; }

    public string HeadName { get; }
}

/// <summary>
/// RoBERTa's sequence-classification head (Hugging Face <c>RobertaClassificationHead</c>: dense → tanh →
/// dropout → out_proj on the first token), used for every encoder so that no untrained pooler enters the
/// comparison. One output for regression (STS-B), C for classification.
/// </summary>
public sealed class ClassificationHead : SequenceHead
{
    private readonly Dropout dropout;
    private readonly Linear dense;
    private readonly Linear out_proj;

    public ClassificationHead(long hidden, long outputs, double dropoutProbability, Device? device = null) : base("classifier")
    {
        dropout = nn.Dropout(dropoutProbability);
        dense = nn.Linear(hidden, hidden, device: device);
        out_proj = nn.Linear(hidden, outputs, device: device);
        RegisterComponents();
    }

    /// <param name="hidden">[B, T, d]; the head reads position 0.</param>
    /// <param name="inputs">Unused: the first token is always real.</param>
    public override Tensor forward(Tensor hidden, ModelInputs inputs)
    {
        var first = hidden.select(1, 0);
        var h = torch.tanh(dense.call(dropout.call(first)));
        return out_proj.call(dropout.call(h));
    }
}
