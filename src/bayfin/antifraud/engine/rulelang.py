"""The rule condition language: a safe subset of Python expressions, checked and compiled once.

A condition such as ``amount_yuan >= 50000 and cust_new_beneficiary and on_call`` is parsed with
``ast``, every node is checked against an allow-list (boolean logic, comparisons, arithmetic,
literals, known feature names, a few pure functions), feature names become look-ups in the feature
mapping, and the tree is compiled to a Python function. No text is ever passed to ``eval``: the only
code that runs is built from nodes this module allowed. A comparison that involves an unknown
(``None``) feature is false rather than an error.
"""

from __future__ import annotations

import ast
import sys
import types
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from bayfin.kernel.errors import ValidationFailed

Condition = Callable[[Mapping[str, Any]], Any]
MAX_CONDITION_LENGTH = 2_000
FUNCTIONS: dict[str, Callable[..., Any]] = {"abs": abs, "min": min, "max": max, "round": round}
_BOOL_OPS = (ast.And, ast.Or)
_UNARY_OPS = (ast.Not, ast.USub, ast.UAdd)
_BIN_OPS = (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.FloorDiv, ast.Mod)
_CMP_OPS = (ast.Eq, ast.NotEq, ast.Lt, ast.LtE, ast.Gt, ast.GtE, ast.In, ast.NotIn)
_CONSTANTS = (bool, int, float, str, type(None))
LOCAL_PREFIX = "v_"


class RuleSyntaxError(ValidationFailed):
    """A rule condition is not valid in the rule language."""

    code = "rule_invalid"
    title = "Invalid rule"


def _fail(rule_id: str, node: ast.AST | None, message: str) -> RuleSyntaxError:
    where = f" (column {node.col_offset + 1})" if node is not None and hasattr(node, "col_offset") else ""
    return RuleSyntaxError(f"rule {rule_id}: {message}{where}", rule_id=rule_id)


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "text"
    return "any"


class _Checker(ast.NodeVisitor):
    def __init__(self, rule_id: str, features: Mapping[str, Any], nullable: frozenset[str]) -> None:
        self.rule_id, self.features, self.nullable = rule_id, features, nullable
        self.used: set[str] = set()

    def generic_visit(self, node: ast.AST) -> None:
        raise _fail(self.rule_id, node, f"{type(node).__name__} is not allowed in a condition")

    def visit_Expression(self, node: ast.Expression) -> None:
        self.visit(node.body)

    def visit_BoolOp(self, node: ast.BoolOp) -> None:
        if not isinstance(node.op, _BOOL_OPS):
            self.generic_visit(node)
        for value in node.values:
            self.visit(value)

    def visit_UnaryOp(self, node: ast.UnaryOp) -> None:
        if not isinstance(node.op, _UNARY_OPS):
            raise _fail(self.rule_id, node, f"operator {type(node.op).__name__} is not allowed")
        self.visit(node.operand)

    def visit_BinOp(self, node: ast.BinOp) -> None:
        if not isinstance(node.op, _BIN_OPS):
            raise _fail(self.rule_id, node, f"operator {type(node.op).__name__} is not allowed")
        self.visit(node.left)
        self.visit(node.right)

    def visit_Compare(self, node: ast.Compare) -> None:
        for op in node.ops:
            if not isinstance(op, _CMP_OPS):
                raise _fail(self.rule_id, node, f"comparison {type(op).__name__} is not allowed")
        operands = [node.left, *node.comparators]
        for operand in operands:
            self.visit(operand)
        for left, op, right in zip(operands, node.ops, operands[1:], strict=False):
            if isinstance(op, ast.In | ast.NotIn):
                if not isinstance(right, ast.Tuple | ast.List | ast.Set):
                    raise _fail(self.rule_id, node, "'in' needs a literal list on its right")
                continue
            kinds = {self._kind_of(left), self._kind_of(right)} - {"any"}
            if len(kinds) > 1 and kinds != {"bool", "number"}:
                raise _fail(self.rule_id, node, f"compares {' with '.join(sorted(kinds))}")

    def _kind_of(self, node: ast.AST) -> str:
        if isinstance(node, ast.Name) and node.id in self.features and node.id not in self.nullable:
            return _kind(self.features[node.id])
        if isinstance(node, ast.Name) and node.id in self.nullable:
            return "number"
        if isinstance(node, ast.Constant):
            return _kind(node.value)
        return "any"

    def visit_Name(self, node: ast.Name) -> None:
        if not isinstance(node.ctx, ast.Load):
            self.generic_visit(node)
        if node.id not in self.features:
            hint = ""
            close = [n for n in self.features if n.startswith(node.id[:6])][:3]
            if close:
                hint = f"; did you mean {', '.join(close)}?"
            raise _fail(self.rule_id, node, f"unknown feature {node.id!r}{hint}")
        self.used.add(node.id)

    def visit_Constant(self, node: ast.Constant) -> None:
        if not isinstance(node.value, _CONSTANTS):
            raise _fail(self.rule_id, node, f"literal of type {type(node.value).__name__} is not allowed")

    def visit_Tuple(self, node: ast.Tuple | ast.List | ast.Set) -> None:
        for element in node.elts:
            if not isinstance(element, ast.Constant):
                raise _fail(self.rule_id, node, "list elements must be literals")
            self.visit(element)

    visit_List = visit_Tuple
    visit_Set = visit_Tuple

    def visit_Call(self, node: ast.Call) -> None:
        if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS:
            raise _fail(self.rule_id, node, f"only the functions {', '.join(FUNCTIONS)} may be called")
        if node.keywords:
            raise _fail(self.rule_id, node, "keyword arguments are not allowed")
        for arg in node.args:
            if isinstance(arg, ast.Starred):
                raise _fail(self.rule_id, node, "starred arguments are not allowed")
            self.visit(arg)

    def visit_IfExp(self, node: ast.IfExp) -> None:
        self.visit(node.test)
        self.visit(node.body)
        self.visit(node.orelse)


class _Rewriter(ast.NodeTransformer):
    """Feature names → ``f["name"]``; literal lists → frozensets; comparisons on unknowns → false."""

    def __init__(self, nullable: frozenset[str], local: bool = False) -> None:
        self.nullable = nullable
        self.local = local  # read features from local variables (see compile_group) instead of ``f``

    def feature(self, name: str) -> ast.expr:
        if self.local:
            return ast.Name(id=LOCAL_PREFIX + name, ctx=ast.Load())
        return ast.Subscript(value=ast.Name(id="f", ctx=ast.Load()), slice=ast.Constant(name), ctx=ast.Load())

    def visit_Name(self, node: ast.Name) -> ast.AST:
        if node.id in FUNCTIONS:
            return node
        return ast.copy_location(self.feature(node.id), node)

    def visit_Compare(self, node: ast.Compare) -> ast.AST:
        compares_none = any(isinstance(c, ast.Constant) and c.value is None
                            for c in [node.left, *node.comparators])
        nullable = sorted({n.id for n in ast.walk(node) if isinstance(n, ast.Name) and n.id in self.nullable})
        comparators: list[ast.expr] = []
        for comparator in node.comparators:
            if isinstance(comparator, ast.Tuple | ast.List | ast.Set):
                # a frozenset constant: membership in O(1), built once at compile time
                values: Any = frozenset(e.value for e in comparator.elts if isinstance(e, ast.Constant))
                comparators.append(ast.copy_location(ast.Constant(values), comparator))
            else:
                comparators.append(self.visit(comparator))
        rewritten = ast.Compare(left=self.visit(node.left), ops=node.ops, comparators=comparators)
        if not nullable or compares_none:
            return ast.copy_location(rewritten, node)
        guards: list[ast.expr] = [ast.Compare(left=self.feature(name), ops=[ast.IsNot()],
                                              comparators=[ast.Constant(None)]) for name in nullable]
        return ast.copy_location(ast.BoolOp(op=ast.And(), values=[*guards, rewritten]), node)


def check_condition(rule_id: str, text: str, features: Mapping[str, Any],
                    nullable: frozenset[str] = frozenset()) -> tuple[ast.Expression, set[str]]:
    """Parse and check a condition; returns the tree and the features it reads, or raises
    :class:`RuleSyntaxError` saying what is wrong and where."""
    if not isinstance(text, str) or not text.strip():
        raise _fail(rule_id, None, "the condition is empty")
    if len(text) > MAX_CONDITION_LENGTH:
        raise _fail(rule_id, None, f"the condition is longer than {MAX_CONDITION_LENGTH} characters")
    try:
        tree = ast.parse(" ".join(text.split()), mode="eval")
    except SyntaxError as exc:
        raise _fail(rule_id, None, f"syntax error: {exc.msg} at column {exc.offset}") from exc
    checker = _Checker(rule_id, features, nullable)
    checker.visit(tree)
    return tree, checker.used


def compile_condition(rule_id: str, text: str, features: Mapping[str, Any],
                      nullable: frozenset[str] = frozenset()) -> tuple[Condition, set[str]]:
    """Compile a checked condition into a function of the feature mapping."""
    tree, used = check_condition(rule_id, text, features, nullable)
    body = _Rewriter(nullable).visit(tree.body)
    lam = ast.Expression(body=ast.Lambda(
        args=ast.arguments(posonlyargs=[], args=[ast.arg(arg="f")], vararg=None, kwonlyargs=[],
                           kw_defaults=[], kwarg=None, defaults=[]),
        body=body))
    ast.fix_missing_locations(lam)
    module_code = compile(lam, f"<rule {rule_id}>", "eval")
    # The lambda's code object is the only constant that is code; wrap it in a function whose globals
    # hold nothing but the allowed functions (no builtins), instead of evaluating anything.
    code = next(c for c in module_code.co_consts if isinstance(c, types.CodeType))
    function = types.FunctionType(code, {"__builtins__": {}, **FUNCTIONS}, f"rule_{rule_id}")
    return function, used


def compile_group(name: str, conditions: Sequence[tuple[str, str]], features: Mapping[str, Any],
                  nullable: frozenset[str] = frozenset()) -> Callable[[Mapping[str, Any]], list[int]]:
    """Compile many (rule id, condition) pairs into one function returning the indices that hold.

    The function reads each feature it needs once into a local variable and tests the conditions in
    order; a condition that fails at run time (a division by zero) does not hold. This is what the
    engine runs per transaction type: one call instead of one per rule.
    """
    rewriter = _Rewriter(nullable, local=True)
    used: set[str] = set()
    tests: list[ast.stmt] = []
    for index, (rule_id, text) in enumerate(conditions):
        tree, names = check_condition(rule_id, text, features, nullable)
        used |= names
        hits_append = ast.Attribute(value=ast.Name(id="hits", ctx=ast.Load()), attr="append", ctx=ast.Load())
        append = ast.Expr(ast.Call(func=hits_append, args=[ast.Constant(index)], keywords=[]))
        tests.append(ast.Try(
            body=[ast.If(test=rewriter.visit(tree.body), body=[append], orelse=[])],
            handlers=[ast.ExceptHandler(type=ast.Tuple(elts=[ast.Name(id="ArithmeticError", ctx=ast.Load()),
                                                             ast.Name(id="TypeError", ctx=ast.Load())],
                                                       ctx=ast.Load()), name=None, body=[ast.Pass()])],
            orelse=[], finalbody=[]))
    loads: list[ast.stmt] = [
        ast.Assign(targets=[ast.Name(id=LOCAL_PREFIX + n, ctx=ast.Store())],
                   value=ast.Subscript(value=ast.Name(id="f", ctx=ast.Load()), slice=ast.Constant(n),
                                       ctx=ast.Load())) for n in sorted(used)]
    start = ast.Assign(targets=[ast.Name(id="hits", ctx=ast.Store())],
                       value=ast.List(elts=[], ctx=ast.Load()))
    body = [*loads, start, *tests, ast.Return(value=ast.Name(id="hits", ctx=ast.Load()))]
    extra: dict[str, Any] = {"type_params": []} if sys.version_info >= (3, 12) else {}
    function_def = ast.FunctionDef(name="evaluate", args=ast.arguments(
        posonlyargs=[], args=[ast.arg(arg="f")], vararg=None, kwonlyargs=[], kw_defaults=[], kwarg=None,
        defaults=[]), body=body, decorator_list=[], returns=None, **extra)
    module = ast.fix_missing_locations(ast.Module(body=[function_def], type_ignores=[]))
    module_code = compile(module, f"<rule group {name}>", "exec")
    code = next(c for c in module_code.co_consts if isinstance(c, types.CodeType))
    namespace = {"__builtins__": {}, "ArithmeticError": ArithmeticError, "TypeError": TypeError, **FUNCTIONS}
    return types.FunctionType(code, namespace, f"rule_group_{name}")
