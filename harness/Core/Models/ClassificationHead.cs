using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PeftBench.Core.Models;

/// <summary>
/// RoBERTa's sequence-classification head (Hugging Face <c>RobertaClassificationHead</c>: dense → tanh →
/// dropout → out_proj on the first token), used for every encoder so that no untrained pooler enters the
/// comparison. One output for regression (STS-B), C for classification. Always trainable.
/// </summary>
public sealed class ClassificationHead : nn.Module<Tensor, Tensor>
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
    public override Tensor forward(Tensor hidden)
    {
        var first = hidden.select(1, 0);
        var h = torch.tanh(dense.call(dropout.call(first)));
        return out_proj.call(dropout.call(h));
    }
}
