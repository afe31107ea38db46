using PeftBench.Core.Catalogs;
using PeftBench.Core.Methods;

namespace PeftBench.Methods;

/// <summary>Every registered method, one line each. Built once, frozen.</summary>
public static class MethodCatalog
{
    public static Catalog<IPeftMethod> Create() => new("method", new IPeftMethod[]
    {
        new FullFineTuning(),
        new LinearProbe(),
        new BitFit(),
        new Lora(),
        new Houlsby(),
        new PromptTuning(),
        new RsLora(),
        new LoraFa(),
        new LoraPlus(),
        new Dora(),
        new Pissa(),
        new Milora(),
        new Olora(),
        new Corda(),
        new Vera(),
        new FourierFt(),
        new Loha(),
        new Lokr(),
        new Oft(),
        new Boft(),
        new Hra(),
        new Flora(),
        new Slora(),
        new Nlora(),
        new IntTune(),
        new AdaLora(),
        new IncreLora(),
        new TriAdaptLora(),
        new Kasa(),
        new Mos(),
        new Ia3(),
        new Ssf(),
        new LnTuning(),
        new Pfeiffer(),
        new ParallelAdapter(),
        new AdaptFormer(),
        new Compacter(),
        new CompacterPlusPlus(),
        new PrefixTuning(),
        new PTuningV2(),
        new PTuning(),
        new AdaptionPrompt(),
        new Loreft(),
        new Direft(),
        new VptShallow(),
        new VptDeep(),
        new Dept(),
        new Mezo(),
        new SparseMezo(),
    }, m => m.Id);
}
