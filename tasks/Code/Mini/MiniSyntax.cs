using System.Globalization;

namespace PeftBench.Tasks.Code.Mini;

/// <summary>Why a program of the embedded language did not produce a value.</summary>
public enum MiniErrorKind { Syntax, Runtime, StepBudget, ValueSize, NoReturn }

public sealed class MiniException(MiniErrorKind kind, string message) : Exception(message)
{
    public MiniErrorKind Kind { get; } = kind;
}

// The syntax tree. Expressions and statements carry their line for error messages.
public abstract record MiniExpr(int Line);
public sealed record NumberExpr(int Line, long Value) : MiniExpr(Line);
public sealed record NameExpr(int Line, string Name) : MiniExpr(Line);
public sealed record ListExpr(int Line, IReadOnlyList<MiniExpr> Items) : MiniExpr(Line);
public sealed record UnaryExpr(int Line, string Op, MiniExpr Operand) : MiniExpr(Line);
public sealed record BinaryExpr(int Line, string Op, MiniExpr Left, MiniExpr Right) : MiniExpr(Line);
public sealed record IndexExpr(int Line, MiniExpr Target, MiniExpr Index) : MiniExpr(Line);
public sealed record CallExpr(int Line, string Function, IReadOnlyList<MiniExpr> Arguments) : MiniExpr(Line);

public abstract record MiniStmt(int Line);
public sealed record AssignStmt(int Line, string Name, MiniExpr Value) : MiniStmt(Line);
public sealed record IfStmt(int Line, MiniExpr Condition, IReadOnlyList<MiniStmt> Then, IReadOnlyList<MiniStmt> Else) : MiniStmt(Line);
public sealed record WhileStmt(int Line, MiniExpr Condition, IReadOnlyList<MiniStmt> Body) : MiniStmt(Line);
public sealed record ForStmt(int Line, string Name, MiniExpr Source, IReadOnlyList<MiniStmt> Body) : MiniStmt(Line);
public sealed record ReturnStmt(int Line, MiniExpr Value) : MiniStmt(Line);

/// <summary>
/// The parser of the embedded language: a program is the body of a function whose parameters the task names.
/// <code>
/// program   := stmt*                       statements end at a newline or ';'
/// stmt      := name '=' expr | 'return' expr
///            | 'if' expr block ('else' (block | if-stmt))? | 'while' expr block | 'for' name 'in' expr block
/// block     := '{' stmt* '}'
/// expr      := or;  or := and ('or' and)*;  and := not ('and' not)*;  not := 'not' not | cmp
/// cmp       := sum (('=='|'!='|'&lt;'|'&lt;='|'>'|'>=') sum)?;  sum := term (('+'|'-') term)*
/// term      := unary (('*'|'/'|'%') unary)*;  unary := '-' unary | postfix;  postfix := primary ('[' expr ']')*
/// primary   := integer | 'true' | 'false' | name | name '(' args ')' | '[' args ']' | '(' expr ')'
/// </code>
/// Text length and nesting depth (operator chains included, since they nest in the tree) are bounded so a hostile
/// program cannot exhaust the harness's stack.
/// </summary>
public sealed class MiniParser
{
    public const int MaxProgramChars = 4000;
    public const int MaxDepth = 40;

    private static readonly HashSet<string> Keywords = ["if", "else", "while", "for", "in", "return", "and", "or", "not", "true", "false"];
    private readonly List<(string Text, int Line)> tokens;
    private int position, depth;

    private MiniParser(List<(string, int)> tokens) => this.tokens = tokens;

    public static IReadOnlyList<MiniStmt> Parse(string program)
    {
        if (program.Length > MaxProgramChars)
            throw new MiniException(MiniErrorKind.Syntax, $"program is {program.Length} characters; at most {MaxProgramChars}.");
        var parser = new MiniParser(Tokenize(program));
        var body = parser.Statements(topLevel: true);
        return body;
    }

    private static List<(string, int)> Tokenize(string text)
    {
        var list = new List<(string, int)>();
        int line = 1, i = 0;
        while (i < text.Length)
        {
            char c = text[i];
            if (c == '\n' || c == ';') { list.Add(("\n", line)); if (c == '\n') line++; i++; }
            else if (c == '#') { while (i < text.Length && text[i] != '\n') i++; }
            else if (char.IsWhiteSpace(c)) i++;
            else if (char.IsAsciiDigit(c) || char.IsAsciiLetter(c) || c == '_')
            {
                int start = i;
                while (i < text.Length && (char.IsAsciiLetterOrDigit(text[i]) || text[i] == '_')) i++;
                list.Add((text[start..i], line));
            }
            else if (i + 1 < text.Length && text.Substring(i, 2) is "==" or "!=" or "<=" or ">=") { list.Add((text.Substring(i, 2), line)); i += 2; }
            else if ("+-*/%<>=()[]{},".Contains(c)) { list.Add((c.ToString(), line)); i++; }
            else throw new MiniException(MiniErrorKind.Syntax, $"line {line}: unexpected character '{c}'.");
        }
        list.Add(("", line));
        return list;
    }

    private string Peek => tokens[position].Text;
    private int Line => tokens[position].Line;
    private string Next() => tokens[position++].Text;

    private void Expect(string text)
    {
        if (Peek != text) throw Error($"expected '{text}'");
        position++;
    }

    private MiniException Error(string what) =>
        new(MiniErrorKind.Syntax, $"line {Line}: {what}, found {(Peek switch { "" => "the end", "\n" => "a line break", var t => $"'{t}'" })}.");

    private void SkipBreaks() { while (Peek == "\n") position++; }

    private void Enter() { if (++depth > MaxDepth) throw new MiniException(MiniErrorKind.Syntax, $"line {Line}: nested or chained more than {MaxDepth} deep; split the expression."); }

    private List<MiniStmt> Statements(bool topLevel)
    {
        var list = new List<MiniStmt>();
        SkipBreaks();
        while (Peek != (topLevel ? "" : "}"))
        {
            if (Peek == "" || Peek == "}") throw Error(topLevel ? "expected a statement" : "expected '}'");
            list.Add(Statement());
            if (Peek != "\n" && Peek != "}" && Peek != "") throw Error("expected the end of the statement");
            SkipBreaks();
        }
        return list;
    }

    private List<MiniStmt> Block()
    {
        Enter();
        SkipBreaks();
        Expect("{");
        var body = Statements(topLevel: false);
        Expect("}");
        depth--;
        return body;
    }

    private MiniStmt Statement()
    {
        int line = Line;
        switch (Peek)
        {
            case "return": Next(); return new ReturnStmt(line, Expression());
            case "if": return If();
            case "while": Next(); return new WhileStmt(line, Expression(), Block());
            case "for":
                Next();
                string name = Name();
                Expect("in");
                return new ForStmt(line, name, Expression(), Block());
            default:
                string target = Name();
                Expect("=");
                return new AssignStmt(line, target, Expression());
        }
    }

    private IfStmt If()
    {
        int line = Line;
        Expect("if");
        var condition = Expression();
        var then = Block();
        int save = position;
        SkipBreaks();
        if (Peek != "else") { position = save; return new IfStmt(line, condition, then, []); }
        Next();
        if (Peek == "if") { Enter(); var nested = If(); depth--; return new IfStmt(line, condition, then, [nested]); }
        return new IfStmt(line, condition, then, Block());
    }

    private string Name()
    {
        string t = Peek;
        if (t.Length == 0 || !(char.IsAsciiLetter(t[0]) || t[0] == '_') || Keywords.Contains(t)) throw Error("expected a name");
        position++;
        return t;
    }

    private MiniExpr Expression()
    {
        Enter();
        var e = Or();
        depth--;
        return e;
    }

    private MiniExpr Or() => LeftAssociative(And, "or");
    private MiniExpr And() => LeftAssociative(Not, "and");

    private MiniExpr Not()
    {
        if (Peek != "not") return Comparison();
        int line = Line; Next();
        Enter(); var operand = Not(); depth--;
        return new UnaryExpr(line, "not", operand);
    }

    private MiniExpr Comparison()
    {
        var left = Sum();
        if (Peek is "==" or "!=" or "<" or "<=" or ">" or ">=") { int line = Line; string op = Next(); return new BinaryExpr(line, op, left, Sum()); }
        return left;
    }

    private MiniExpr Sum() => LeftAssociative(Term, "+", "-");
    private MiniExpr Term() => LeftAssociative(Unary, "*", "/", "%");

    private MiniExpr LeftAssociative(Func<MiniExpr> operand, params string[] ops)
    {
        // Each operator deepens the left-leaning tree the interpreter recurses through, so it counts as nesting.
        var left = operand();
        int chained = 0;
        while (ops.Contains(Peek)) { Enter(); chained++; int line = Line; string op = Next(); left = new BinaryExpr(line, op, left, operand()); }
        depth -= chained;
        return left;
    }

    private MiniExpr Unary()
    {
        if (Peek != "-") return Postfix();
        int line = Line; Next();
        Enter(); var operand = Unary(); depth--;
        return new UnaryExpr(line, "-", operand);
    }

    private MiniExpr Postfix()
    {
        var e = Primary();
        int chained = 0;
        while (Peek == "[") { Enter(); chained++; int line = Line; Next(); var index = Expression(); Expect("]"); e = new IndexExpr(line, e, index); }
        depth -= chained;
        return e;
    }

    private MiniExpr Primary()
    {
        int line = Line;
        string t = Peek;
        if (t == "(") { Next(); var e = Expression(); Expect(")"); return e; }
        if (t == "[") { Next(); return new ListExpr(line, Arguments("]")); }
        if (t == "true" || t == "false") { Next(); return new NumberExpr(line, t == "true" ? 1 : 0); }
        if (t.Length > 0 && char.IsAsciiDigit(t[0]))
        {
            Next();
            if (!long.TryParse(t, NumberStyles.None, CultureInfo.InvariantCulture, out long value))
                throw new MiniException(MiniErrorKind.Syntax, $"line {line}: '{t}' is not an integer that fits in 64 bits.");
            return new NumberExpr(line, value);
        }
        string name = Name();
        if (Peek != "(") return new NameExpr(line, name);
        Next();
        return new CallExpr(line, name, Arguments(")"));
    }

    private List<MiniExpr> Arguments(string close)
    {
        var list = new List<MiniExpr>();
        if (Peek == close) { Next(); return list; }
        while (true)
        {
            list.Add(Expression());
            if (Peek == close) { Next(); return list; }
            Expect(",");
        }
    }
}
