namespace PeftBench.Tasks.Code.Mini;

/// <summary>
/// Runs a parsed program of the embedded language on named arguments. Deterministic and confined to the harness's own
/// memory: every statement, loop turn and expression costs one step out of a budget, lists are capped in length,
/// integer arithmetic is checked, and nothing reaches files, processes or the network, so a looping or huge program
/// ends in a <see cref="MiniException"/> rather than a hang.
/// Built-ins: <c>len(list)</c>, <c>append(list, int)</c> (a new list), <c>range(n)</c> / <c>range(a, b)</c>.
/// Division and remainder floor, as in Python, so reference programs read the same in both.
/// </summary>
public sealed class MiniInterpreter
{
    public const int DefaultStepBudget = 20_000;
    public const int DefaultMaxListLength = 1_000;

    private readonly int stepBudget, maxListLength;
    private int steps;
    private readonly Dictionary<string, MiniValue> variables = new(StringComparer.Ordinal);

    private MiniInterpreter(int stepBudget, int maxListLength) { this.stepBudget = stepBudget; this.maxListLength = maxListLength; }

    /// <summary>Parses and runs <paramref name="program"/>; throws <see cref="MiniException"/> for any failure of the program.</summary>
    public static MiniValue Run(string program, IReadOnlyDictionary<string, MiniValue> arguments,
        int stepBudget = DefaultStepBudget, int maxListLength = DefaultMaxListLength)
    {
        var body = MiniParser.Parse(program);
        var interpreter = new MiniInterpreter(stepBudget, maxListLength);
        foreach (var (name, value) in arguments) interpreter.variables[name] = value;
        return interpreter.Block(body) ?? throw new MiniException(MiniErrorKind.NoReturn, "the program ended without 'return'.");
    }

    private void Step(int line)
    {
        if (++steps > stepBudget)
            throw new MiniException(MiniErrorKind.StepBudget, $"line {line}: ran past the step budget of {stepBudget} (a loop that does not end?).");
    }

    /// <summary>Runs statements; a non-null result is the value of a <c>return</c>.</summary>
    private MiniValue? Block(IReadOnlyList<MiniStmt> statements)
    {
        foreach (var statement in statements)
        {
            Step(statement.Line);
            var result = statement switch
            {
                AssignStmt a => Assign(a),
                ReturnStmt r => Eval(r.Value),
                IfStmt i => Truth(Eval(i.Condition), i.Line) ? Block(i.Then) : Block(i.Else),
                WhileStmt w => While(w),
                ForStmt f => For(f),
                _ => throw new InvalidOperationException(statement.GetType().Name),
            };
            if (result is not null) return result;
        }
        return null;
    }

    private MiniValue? Assign(AssignStmt a) { variables[a.Name] = Eval(a.Value); return null; }

    private MiniValue? While(WhileStmt w)
    {
        while (Truth(Eval(w.Condition), w.Line))
        {
            Step(w.Line);
            if (Block(w.Body) is { } result) return result;
        }
        return null;
    }

    private MiniValue? For(ForStmt f)
    {
        var source = Eval(f.Source);
        if (!source.IsList) throw Runtime(f.Line, $"'for' needs a list, got the integer {source}");
        foreach (long item in source.Items)
        {
            Step(f.Line);
            variables[f.Name] = MiniValue.Int(item);
            if (Block(f.Body) is { } result) return result;
        }
        return null;
    }

    private MiniValue Eval(MiniExpr e)
    {
        Step(e.Line);
        switch (e)
        {
            case NumberExpr n: return MiniValue.Int(n.Value);
            case NameExpr v:
                return variables.TryGetValue(v.Name, out var value) ? value : throw Runtime(v.Line, $"'{v.Name}' is not defined");
            case ListExpr l: return MakeList(l.Line, l.Items.Select(i => Integer(Eval(i), l.Line, "a list element")).ToList());
            case UnaryExpr u when u.Op == "not": return MiniValue.Int(Truth(Eval(u.Operand), u.Line) ? 0 : 1);
            case UnaryExpr u: return MiniValue.Int(Checked(u.Line, () => -Integer(Eval(u.Operand), u.Line, "'-'")));
            case BinaryExpr { Op: "and" } b: return MiniValue.Int(Truth(Eval(b.Left), b.Line) && Truth(Eval(b.Right), b.Line) ? 1 : 0);
            case BinaryExpr { Op: "or" } b: return MiniValue.Int(Truth(Eval(b.Left), b.Line) || Truth(Eval(b.Right), b.Line) ? 1 : 0);
            case BinaryExpr b: return Binary(b, Eval(b.Left), Eval(b.Right));
            case IndexExpr ix:
            {
                var target = Eval(ix.Target);
                long index = Integer(Eval(ix.Index), ix.Line, "an index");
                if (!target.IsList) throw Runtime(ix.Line, $"cannot index the integer {target}");
                if (index < 0 || index >= target.Items.Count)
                    throw Runtime(ix.Line, $"index {index} is out of range for a list of length {target.Items.Count}");
                return MiniValue.Int(target.Items[(int)index]);
            }
            case CallExpr c: return Call(c, c.Arguments.Select(Eval).ToList());
            default: throw new InvalidOperationException(e.GetType().Name);
        }
    }

    private MiniValue Binary(BinaryExpr b, MiniValue left, MiniValue right)
    {
        if (b.Op is "==" or "!=") return MiniValue.Int(left.Equals(right) == (b.Op == "==") ? 1 : 0);
        if (b.Op == "+" && left.IsList && right.IsList) return MakeList(b.Line, left.Items.Concat(right.Items).ToList());
        long x = Integer(left, b.Line, $"'{b.Op}'"), y = Integer(right, b.Line, $"'{b.Op}'");
        return MiniValue.Int(b.Op switch
        {
            "<" => x < y ? 1 : 0,
            "<=" => x <= y ? 1 : 0,
            ">" => x > y ? 1 : 0,
            ">=" => x >= y ? 1 : 0,
            "+" => Checked(b.Line, () => checked(x + y)),
            "-" => Checked(b.Line, () => checked(x - y)),
            "*" => Checked(b.Line, () => checked(x * y)),
            "/" => y == 0 ? throw Runtime(b.Line, "division by zero") : Checked(b.Line, () => FloorDiv(x, y)),
            "%" => y == 0 ? throw Runtime(b.Line, "remainder by zero") : Checked(b.Line, () => checked(x - y * FloorDiv(x, y))),
            _ => throw new InvalidOperationException(b.Op),
        });
    }

    private static long FloorDiv(long x, long y)
    {
        long q = checked(x / y);
        return (x % y != 0 && (x < 0) != (y < 0)) ? q - 1 : q;
    }

    private MiniValue Call(CallExpr c, List<MiniValue> args)
    {
        void Arity(params int[] counts)
        {
            if (!counts.Contains(args.Count))
                throw Runtime(c.Line, $"{c.Function} takes {string.Join(" or ", counts)} argument(s), got {args.Count}");
        }
        switch (c.Function)
        {
            case "len":
                Arity(1);
                return args[0].IsList ? MiniValue.Int(args[0].Items.Count) : throw Runtime(c.Line, "len needs a list");
            case "append":
                Arity(2);
                if (!args[0].IsList) throw Runtime(c.Line, "append needs a list first");
                return MakeList(c.Line, args[0].Items.Append(Integer(args[1], c.Line, "append's second argument")).ToList());
            case "range":
                Arity(1, 2);
                long from = args.Count == 2 ? Integer(args[0], c.Line, "range") : 0, to = Integer(args[^1], c.Line, "range");
                long count = Checked(c.Line, () => checked(to - from));
                if (count > maxListLength) throw TooLong(c.Line, count);
                var items = new List<long>();
                for (long i = from; i < to; i++) items.Add(i);
                return MiniValue.List(items);
            default:
                throw Runtime(c.Line, $"unknown function '{c.Function}' (there are len, append and range)");
        }
    }

    private MiniValue MakeList(int line, List<long> items) =>
        items.Count > maxListLength ? throw TooLong(line, items.Count) : MiniValue.List(items);

    private MiniException TooLong(int line, long length) =>
        new(MiniErrorKind.ValueSize, $"line {line}: a list of {length} elements is longer than the limit of {maxListLength}.");

    private static long Integer(MiniValue v, int line, string what) =>
        v.IsList ? throw Runtime(line, $"{what} needs an integer, got the list {v}") : v.Number;

    private static bool Truth(MiniValue v, int line) => Integer(v, line, "a condition") != 0;

    private static long Checked(int line, Func<long> compute)
    {
        try { return compute(); }
        catch (OverflowException) { throw Runtime(line, "integer overflow (values must fit in 64 bits)"); }
    }

    private static MiniException Runtime(int line, string what) => new(MiniErrorKind.Runtime, $"line {line}: {what}.");
}
