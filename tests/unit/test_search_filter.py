"""MLflow search filter, order_by and page token parsing (reference/mlflow-search-syntax.md)."""

from __future__ import annotations

import base64

import pytest

from runwell.errors import InvalidArgument
from runwell.store.like import like_pattern
from runwell.store.page_tokens import decode_page_token, encode_page_token
from runwell.store.search_filter import (
    Comparison,
    OrderKey,
    parse_experiment_filter,
    parse_experiment_order_by,
    parse_run_filter,
    parse_run_order_by,
)

# --- run filters that parse ----------------------------------------------------------------------

# Every "Examples that work [observed]" line of spec section 2, plus the forms section 1 names.
SPEC_RUN_EXAMPLES: list[tuple[str, tuple[Comparison, ...]]] = [
    ("metrics.loss <= 1.2", (Comparison("metric", "loss", "<=", 1.2),)),
    ("metrics.`loss` != 1.2", (Comparison("metric", "loss", "!=", 1.2),)),
    ("params.alpha LIKE '0.%'", (Comparison("param", "alpha", "LIKE", "0.%"),)),
    ("params.alpha ILIKE '0.%'", (Comparison("param", "alpha", "ILIKE", "0.%"),)),
    ("tags.\"mlflow.runName\" = 'r1'", (Comparison("tag", "mlflow.runName", "=", "r1"),)),
    ("tags.`mlflow.runName` = 'r1'", (Comparison("tag", "mlflow.runName", "=", "r1"),)),
    ("tags.team IS NULL", (Comparison("tag", "team", "IS NULL", None),)),
    ("`Run name` = 'r1'", (Comparison("attribute", "run_name", "=", "r1"),)),
    ("attributes.run_name = 'r1'", (Comparison("attribute", "run_name", "=", "r1"),)),
    ("run_name ILIKE 'REN%'", (Comparison("attribute", "run_name", "ILIKE", "REN%"),)),
    ("attribute.status != 'RUNNING'", (Comparison("attribute", "status", "!=", "RUNNING"),)),
    ("run.user_id = 'root'", (Comparison("attribute", "user_id", "=", "root"),)),
    (
        "attributes.artifact_uri LIKE 'mlflow-artifacts:%'",
        (Comparison("attribute", "artifact_uri", "LIKE", "mlflow-artifacts:%"),),
    ),
    (
        "attributes.run_id IN ('1c47a3','x')",
        (Comparison("attribute", "run_id", "IN", ("1c47a3", "x")),),
    ),
    ("attributes.run_id NOT IN ('x')", (Comparison("attribute", "run_id", "NOT IN", ("x",)),)),
    (
        "start_time >= 1 and created > 0 and end_time > 0",
        (
            Comparison("attribute", "start_time", ">=", 1),
            Comparison("attribute", "start_time", ">", 0),
            Comparison("attribute", "end_time", ">", 0),
        ),
    ),
    ("datasets.name = 'ds1'", (Comparison("dataset", "name", "=", "ds1"),)),
    ("dataset.context = 'training'", (Comparison("dataset", "context", "=", "training"),)),
    ("datasets.digest IN ('300830b9')", (Comparison("dataset", "digest", "IN", ("300830b9",)),)),
    (
        "metrics.loss < 2 AND params.alpha = '0.5' AND tags.team = 'x'",
        (
            Comparison("metric", "loss", "<", 2.0),
            Comparison("param", "alpha", "=", "0.5"),
            Comparison("tag", "team", "=", "x"),
        ),
    ),
    ("tags.mlflow.runName = 'r1'", (Comparison("tag", "mlflow.runName", "=", "r1"),)),
    ("params.`my-param` = 'x'", (Comparison("param", "my-param", "=", "x"),)),
    ("params.\"my-param\" = 'x'", (Comparison("param", "my-param", "=", "x"),)),
    ("`tags`.team = 'x'", (Comparison("tag", "team", "=", "x"),)),
    ("run_name = 'x'", (Comparison("attribute", "run_name", "=", "x"),)),
    ("metrics.loss < 1 AND", (Comparison("metric", "loss", "<", 1.0),)),
]


@pytest.mark.parametrize(("filter_string", "expected"), SPEC_RUN_EXAMPLES)
def test_run_filter_parses_spec_examples(
    filter_string: str, expected: tuple[Comparison, ...]
) -> None:
    assert parse_run_filter(filter_string) == expected


@pytest.mark.parametrize(
    ("prefix", "kind"),
    [
        ("metric", "metric"),
        ("metrics", "metric"),
        ("parameter", "param"),
        ("param", "param"),
        ("params", "param"),
        ("parameters", "param"),
        ("tag", "tag"),
        ("tags", "tag"),
        ("dataset", "dataset"),
        ("datasets", "dataset"),
    ],
)
def test_run_filter_resolves_entity_type_aliases(prefix: str, kind: str) -> None:
    key = "name" if kind == "dataset" else "k"
    value = "1" if kind == "metric" else "'v'"
    (comparison,) = parse_run_filter(f"{prefix}.{key} = {value}")
    assert (comparison.kind, comparison.key) == (kind, key)


@pytest.mark.parametrize("prefix", ["", "attribute.", "attr.", "attributes.", "run."])
def test_run_filter_reads_attribute_prefixes_and_bare_names_as_attributes(prefix: str) -> None:
    assert parse_run_filter(f"{prefix}status = 'FINISHED'") == (
        Comparison("attribute", "status", "=", "FINISHED"),
    )


@pytest.mark.parametrize(
    ("identifier", "key"),
    [
        ("`run name`", "run_name"),
        ("`Run name`", "run_name"),
        ('"Run Name"', "run_name"),
        ("attributes.`Run Name`", "run_name"),
        ("created", "start_time"),
        ("Created", "start_time"),
        ("run_id", "run_id"),
    ],
)
def test_run_filter_resolves_attribute_aliases(identifier: str, key: str) -> None:
    value = "1" if key == "start_time" else "'x'"
    assert parse_run_filter(f"{identifier} = {value}")[0].key == key


@pytest.mark.parametrize(
    ("filter_string", "value"),
    [
        ("metrics.m = 3", 3.0),
        ("metrics.m = -3", -3.0),
        ("metrics.m = 0.25", 0.25),
        ("metrics.m = .5", 0.5),
        ("metrics.m = 1e-3", 0.001),
        ("metrics.m = -2.5E+2", -250.0),
        ("start_time = 1700000000000", 1700000000000),
        ("end_time <= -5", -5),
        ("start_time > 1.5", 1.5),
        ("start_time > 1e3", 1000.0),
    ],
)
def test_run_filter_reads_numbers(filter_string: str, value: float) -> None:
    parsed = parse_run_filter(filter_string)[0].value
    assert parsed == value
    assert type(parsed) is type(value)


@pytest.mark.parametrize(
    ("filter_string", "op"),
    [
        ("metrics.m=1", "="),
        ("metrics.m!=1", "!="),
        ("metrics.m>1", ">"),
        ("metrics.m>=1", ">="),
        ("metrics.m<1", "<"),
        ("metrics.m<=1", "<="),
        ("metrics.m<-1", "<"),
        ("tags.t like 'a'", "LIKE"),
        ("tags.t iLiKe 'a'", "ILIKE"),
        ("tags.t is null", "IS NULL"),
        ("tags.t Is Not Null", "IS NOT NULL"),
        ("params.p IS NOT NULL", "IS NOT NULL"),
        ("run_id in ('a')", "IN"),
        ("run_id not in ('a')", "NOT IN"),
        ("datasets.context NOT IN ('a')", "NOT IN"),
    ],
)
def test_run_filter_reads_comparators_in_any_case(filter_string: str, op: str) -> None:
    assert parse_run_filter(filter_string)[0].op == op


@pytest.mark.parametrize(
    ("filter_string", "value"),
    [
        ("tags.t = 'it''s'", "it's"),
        ("tags.t = 'it\\'s'", "it's"),
        ('tags.t = "say ""hi"""', 'say "hi"'),
        ('tags.t = "say \\"hi\\""', 'say "hi"'),
        ('tags.t = "it\'s"', "it's"),
        ("tags.t = 'a\\\\b'", "a\\b"),
        ("tags.t = 'C:\\dir\\_x'", "C:\\dir\\_x"),
        ("tags.t = ''", ""),
        ("tags.t = 'AND x OR y'", "AND x OR y"),
        ("tags.t = 'a;b'", "a;b"),
        ("tags.t = '  spaced  '", "  spaced  "),
    ],
)
def test_run_filter_unquotes_string_values(filter_string: str, value: str) -> None:
    assert parse_run_filter(filter_string)[0].value == value


def test_run_filter_accepts_double_quoted_values_in_lists_and_a_trailing_comma() -> None:
    assert parse_run_filter("run_id IN (\"a\", 'b',)")[0].value == ("a", "b")


@pytest.mark.parametrize("filter_string", [None, "", "   ", "\n\t"])
def test_run_filter_empty_means_match_everything(filter_string: str | None) -> None:
    assert parse_run_filter(filter_string) == ()


def test_run_filter_returns_the_cached_result_for_an_identical_string() -> None:
    source = "metrics.cache_probe > 1 and tags.t = 'x'"
    assert parse_run_filter(source) is parse_run_filter(source)


# --- run filters that are rejected ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("filter_string", "message"),
    [
        ("metrics.a < 1 OR metrics.b < 2", r"Invalid clause\(s\).*'OR'"),
        ("metrics.a < 2 and (params.p = '1')", r"Invalid clause\(s\).*parentheses"),
        ("(metrics.a < 2)", r"Invalid clause\(s\).*parentheses"),
        ("metrics.a < 1; metrics.b < 2", "Provide AND-ed expression list"),
        ("metrics.a < 1;", "Provide AND-ed expression list"),
        ("NOT tags.a = 'b'", "NOT is only supported as part of NOT IN and IS NOT NULL"),
        ("metrics.a < 1 AND NOT tags.a = 'b'", "NOT is only supported"),
        ("AND metrics.a < 1", r"expected a comparison, got 'AND'"),
        ("metrics.a < 1 AND AND metrics.b < 1", r"expected a comparison, got 'AND'"),
        ("metrics.a < 1 metrics.b < 1", "expected AND after the comparison on 'metrics.a'"),
        ("metrics.a BETWEEN 1 AND 2", "expected a comparator .* got 'BETWEEN'"),
        ("metrics.a == 1", "Expected numeric value type for metric 'a', got ="),
        ("metrics.a <> 1", "Expected numeric value type for metric 'a', got >"),
        ("metrics.a", "expected a comparator .* got the end"),
        ("metrics.a <", "expected a value after 'metrics.a' <"),
        ("tags.t IS", "expected a comparator"),
        ("tags.t IS NOT", "expected a comparator"),
        ("tags.t NOT LIKE 'x'", "expected a comparator .* got 'NOT'"),
        ("= 'x'", "expected an identifier such as metrics.loss, got '='"),
        ("'run_name' = 'x'", "expected an identifier"),
        ("metrics. = 1", "expected a key after 'metrics.'"),
        ("tags.`` = 'a'", "the key after 'tags.' is empty"),
    ],
)
def test_run_filter_rejects_malformed_clauses(filter_string: str, message: str) -> None:
    with pytest.raises(InvalidArgument, match=message):
        parse_run_filter(filter_string)


@pytest.mark.parametrize(
    ("filter_string", "message"),
    [
        ("params.my-param = 'x'", r"unexpected character '-'.*quote it: params.`my-key`"),
        ("params.a/b = 'x'", r"unexpected character '/'"),
        ("params.my key = 'x'", r"got 'key'; if a key has '-', '/', ':' or spaces, quote it"),
        ("tags.a = 'b", r"unterminated '\.\.\.' quoting starting at position 9"),
        ('tags."a = 1', "unterminated"),
        ("tags.`a = 'b'", "unterminated `...` quoting"),
        ("metrics.a < 1 # comment", "unexpected character '#'"),
    ],
)
def test_run_filter_rejects_unlexable_text_with_a_quoting_hint(
    filter_string: str, message: str
) -> None:
    with pytest.raises(InvalidArgument, match=message):
        parse_run_filter(filter_string)


@pytest.mark.parametrize(
    ("filter_string", "message"),
    [
        ("params.p = 1", "Expected a quoted string value for parameter 'p', got 1 .*'1'"),
        ("tags.t = x", "Expected a quoted string value for tag 't', got x"),
        ("run_name = 1", "Expected a quoted string value for attribute 'run_name'"),
        ("datasets.name = 3", "Expected a quoted string value for dataset 'name'"),
        ("tags.t = `x`", "Expected a quoted string value for tag 't', got `x`"),
        ("metrics.loss = '1.2'", "Expected numeric value type for metric 'loss', got '1.2'"),
        ("metrics.loss = abc", "Expected numeric value type for metric 'loss'"),
        ("metrics.loss = 1abc", "Expected numeric value type for metric 'loss', got 1abc"),
        ("start_time > '1'", "Expected numeric value type for numeric attribute 'start_time'"),
        ("created > '1'", "Expected numeric value type for numeric attribute 'start_time'"),
    ],
)
def test_run_filter_rejects_values_of_the_wrong_type(filter_string: str, message: str) -> None:
    with pytest.raises(InvalidArgument, match=message):
        parse_run_filter(filter_string)


@pytest.mark.parametrize(
    ("filter_string", "message"),
    [
        ("metrics.m LIKE '1'", "Invalid comparator 'LIKE' for metric 'm'; expected one of ="),
        ("metrics.m IS NULL", "Invalid comparator 'IS NULL' for metric 'm'"),
        ("metrics.m IN ('1')", "Invalid comparator 'IN' for metric 'm'"),
        ("params.p > '1'", "Invalid comparator '>' for parameter 'p'"),
        ("params.p IN ('1')", "Invalid comparator 'IN' for parameter 'p'"),
        ("tags.t <= 'a'", "Invalid comparator '<=' for tag 't'"),
        ("tags.t NOT IN ('a')", "Invalid comparator 'NOT IN' for tag 't'"),
        ("run_name > 'a'", "Invalid comparator '>' for attribute 'run_name'"),
        ("status IS NULL", "Invalid comparator 'IS NULL' for attribute 'status'"),
        ("start_time LIKE '1%'", "Invalid comparator 'LIKE' for numeric attribute 'start_time'"),
        ("end_time IS NOT NULL", "Invalid comparator 'IS NOT NULL' for numeric attribute"),
        ("end_time IN ('1')", "Invalid comparator 'IN' for numeric attribute 'end_time'"),
        ("datasets.name > 'a'", "Invalid comparator '>' for dataset 'name'"),
        ("datasets.name IS NULL", "Invalid comparator 'IS NULL' for dataset 'name'"),
    ],
)
def test_run_filter_rejects_comparators_the_kind_does_not_support(
    filter_string: str, message: str
) -> None:
    with pytest.raises(InvalidArgument, match=message):
        parse_run_filter(filter_string)


@pytest.mark.parametrize(
    "filter_string",
    ["run_name IN ('a')", "status NOT IN ('RUNNING')", "user_id IN ('u')", "`Run name` IN ('a')"],
)
def test_run_filter_allows_lists_only_for_run_id(filter_string: str) -> None:
    message = r"Only \['run_id'\] attributes support comparison with a list of quoted string"
    with pytest.raises(InvalidArgument, match=message):
        parse_run_filter(filter_string)


@pytest.mark.parametrize(
    ("filter_string", "message"),
    [
        ("run_id IN ()", "the IN list must not be empty"),
        ("run_id IN (1)", "the IN list may hold only quoted strings, got '1'"),
        ("run_id IN ('a', 2)", "may hold only quoted strings, got '2'"),
        ("run_id IN (a)", "may hold only quoted strings, got 'a'"),
        ("run_id IN 'a'", r"IN expects a parenthesised list of quoted strings"),
        ("run_id NOT IN", r"NOT IN expects a parenthesised list .* got the end"),
        ("run_id IN ('a' 'b')", "expected ',' or '\\)' in the IN list, got \"'b'\""),
        ("run_id IN ('a',,)", "may hold only quoted strings, got ','"),
        ("run_id IN ('a'", "expected ',' or '\\)' in the IN list, got the end"),
    ],
)
def test_run_filter_rejects_malformed_lists(filter_string: str, message: str) -> None:
    with pytest.raises(InvalidArgument, match=message):
        parse_run_filter(filter_string)


@pytest.mark.parametrize(
    ("filter_string", "message"),
    [
        ("run_uuid = 'x'", r"Invalid attribute key 'run_uuid'. Valid keys are \['artifact_uri'"),
        ("experiment_id = '1'", "Invalid attribute key 'experiment_id'"),
        ("lifecycle_stage = 'active'", "Invalid attribute key 'lifecycle_stage'"),
        ("attributes.RUN_ID = 'x'", "Invalid attribute key 'RUN_ID'"),
        ("\"mlflow.runName\" = 'x'", "Invalid attribute key 'mlflow.runName'"),
        ("datasets.source = 'x'", r"Invalid dataset key 'source'. Valid keys are \['name'"),
        ("foo.bar = 'x'", r"Invalid entity type 'foo' in filter. Valid values are \['attr'"),
        ("Metrics.loss < 1", "Invalid entity type 'Metrics'"),
    ],
)
def test_run_filter_rejects_unknown_keys_listing_the_valid_ones(
    filter_string: str, message: str
) -> None:
    with pytest.raises(InvalidArgument, match=message):
        parse_run_filter(filter_string)


def test_run_filter_error_quotes_the_filter_string() -> None:
    with pytest.raises(InvalidArgument, match=r"Invalid filter string 'metrics.a < 1 OR b = 1'"):
        parse_run_filter("metrics.a < 1 OR b = 1")


# --- experiment filters --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("filter_string", "expected"),
    [
        ("name = 'exp-demo'", Comparison("attribute", "name", "=", "exp-demo")),
        ("name LIKE 'exp%'", Comparison("attribute", "name", "LIKE", "exp%")),
        ("name ILIKE 'EXP%'", Comparison("attribute", "name", "ILIKE", "EXP%")),
        ("attribute.name != 'Default'", Comparison("attribute", "name", "!=", "Default")),
        ("attributes.name = 'x'", Comparison("attribute", "name", "=", "x")),
        ("tags.k = 'v'", Comparison("tag", "k", "=", "v")),
        ("tag.k IS NOT NULL", Comparison("tag", "k", "IS NOT NULL", None)),
        ("tags.k IS NULL", Comparison("tag", "k", "IS NULL", None)),
        ("tags.`a b` ILIKE '%x'", Comparison("tag", "a b", "ILIKE", "%x")),
        ("experiment_id IN ('0','1')", Comparison("attribute", "experiment_id", "IN", ("0", "1"))),
        ("experiment_id NOT IN ('0')", Comparison("attribute", "experiment_id", "NOT IN", ("0",))),
        ("experiment_id = '0'", Comparison("attribute", "experiment_id", "=", "0")),
        ("creation_time > 0", Comparison("attribute", "creation_time", ">", 0)),
        ("last_update_time <= 1.5", Comparison("attribute", "last_update_time", "<=", 1.5)),
    ],
)
def test_experiment_filter_parses_spec_examples(filter_string: str, expected: Comparison) -> None:
    assert parse_experiment_filter(filter_string) == (expected,)


def test_experiment_filter_joins_clauses_with_and() -> None:
    assert parse_experiment_filter("name LIKE 'e%' and tags.k = 'v' AND") == (
        Comparison("attribute", "name", "LIKE", "e%"),
        Comparison("tag", "k", "=", "v"),
    )


@pytest.mark.parametrize("filter_string", [None, "", "  "])
def test_experiment_filter_empty_means_match_everything(filter_string: str | None) -> None:
    assert parse_experiment_filter(filter_string) == ()


@pytest.mark.parametrize(
    ("filter_string", "message"),
    [
        ("name IN ('a')", r"Only \['experiment_id'\] attributes support comparison with a list"),
        ("metrics.loss < 1", "Invalid entity type 'metrics'.*Valid values are"),
        ("params.p = 'x'", "Invalid entity type 'params'"),
        ("attr.name = 'x'", "Invalid entity type 'attr'"),
        ("run.name = 'x'", "Invalid entity type 'run'"),
        ("lifecycle_stage = 'active'", r"Invalid attribute key 'lifecycle_stage'. Valid keys"),
        ("run_name = 'x'", "Invalid attribute key 'run_name'"),
        ("name IS NULL", "Invalid comparator 'IS NULL' for attribute 'name'"),
        ("creation_time LIKE '1'", "Invalid comparator 'LIKE' for numeric attribute"),
        ("creation_time > '1'", "Expected numeric value type for numeric attribute"),
        ("name = 1", "Expected a quoted string value for attribute 'name'"),
        ("tags.k > 'a'", "Invalid comparator '>' for tag 'k'"),
        ("tags.k IN ('a')", "Invalid comparator 'IN' for tag 'k'"),
        ("name = 'a' OR name = 'b'", r"Invalid clause\(s\).*'OR'"),
    ],
)
def test_experiment_filter_rejects_what_the_stock_server_rejects(
    filter_string: str, message: str
) -> None:
    with pytest.raises(InvalidArgument, match=message):
        parse_experiment_filter(filter_string)


# --- order_by ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("clause", "expected"),
    [
        ("metrics.loss", OrderKey("metric", "loss", True)),
        ("metrics.loss DESC", OrderKey("metric", "loss", False)),
        ("metrics.`my loss` desc", OrderKey("metric", "my loss", False)),
        ("params.alpha asc", OrderKey("param", "alpha", True)),
        ("parameter.alpha ASC", OrderKey("param", "alpha", True)),
        ("tags.`mlflow.runName` ASC", OrderKey("tag", "mlflow.runName", True)),
        ('tags."mlflow.runName" DESC', OrderKey("tag", "mlflow.runName", False)),
        ("tags.mlflow.runName", OrderKey("tag", "mlflow.runName", True)),
        ("artifact_uri", OrderKey("attribute", "artifact_uri", True)),
        ("end_time DESC", OrderKey("attribute", "end_time", False)),
        ("attributes.run_id", OrderKey("attribute", "run_id", True)),
        ("attr.run_name DESC", OrderKey("attribute", "run_name", False)),
        ("start_time", OrderKey("attribute", "start_time", True)),
        ("status", OrderKey("attribute", "status", True)),
        ("run.user_id Desc", OrderKey("attribute", "user_id", False)),
        ("created DESC", OrderKey("attribute", "start_time", False)),
        ("Created", OrderKey("attribute", "start_time", True)),
        ("`Run name` DESC", OrderKey("attribute", "run_name", False)),
        ("  metrics.loss   DESC  ", OrderKey("metric", "loss", False)),
    ],
)
def test_run_order_by_parses_clauses(clause: str, expected: OrderKey) -> None:
    assert parse_run_order_by([clause]) == (expected,)


def test_run_order_by_keeps_clause_order() -> None:
    assert parse_run_order_by(["metrics.a DESC", "params.b", "start_time DESC"]) == (
        OrderKey("metric", "a", False),
        OrderKey("param", "b", True),
        OrderKey("attribute", "start_time", False),
    )


@pytest.mark.parametrize("order_by", [None, [], ()])
def test_run_order_by_empty_gives_no_keys(order_by: list[str] | None) -> None:
    assert parse_run_order_by(order_by) == ()


def test_run_order_by_reads_a_lone_string_as_one_clause() -> None:
    assert parse_run_order_by("metrics.loss DESC") == (OrderKey("metric", "loss", False),)


@pytest.mark.parametrize(
    ("order_by", "message"),
    [
        (["metrics.a", "metrics.a DESC"], "`order_by` contains duplicate fields"),
        (["start_time", "created DESC"], "`order_by` contains duplicate fields"),
        (["`Run name`", "run_name"], "`order_by` contains duplicate fields"),
        ([""], "Invalid order_by clause ''"),
        (["metrics.a UP"], "Invalid order_by clause 'metrics.a UP': expected ASC or DESC"),
        (["metrics.a DESC NULLS LAST"], "unexpected 'NULLS' after DESC"),
        (["metrics.a < 1"], "expected ASC or DESC after the identifier, got '<'"),
        (["metrics.my-key"], "unexpected character '-'"),
        (["datasets.name"], "Invalid order_by entity: dataset"),
        (["foo.bar"], "Invalid entity type 'foo' in order_by clause 'foo.bar'"),
        (["run_uuid"], "Invalid attribute key 'run_uuid'. Valid keys are"),
        (["experiment_id DESC"], "Invalid attribute key 'experiment_id'"),
        (["ASC"], "Invalid attribute key 'ASC'"),
    ],
)
def test_run_order_by_rejects_bad_clauses(order_by: list[str], message: str) -> None:
    with pytest.raises(InvalidArgument, match=message):
        parse_run_order_by(order_by)


@pytest.mark.parametrize(
    ("clause", "expected"),
    [
        ("name", OrderKey("attribute", "name", True)),
        ("experiment_id DESC", OrderKey("attribute", "experiment_id", False)),
        ("creation_time desc", OrderKey("attribute", "creation_time", False)),
        ("attributes.last_update_time ASC", OrderKey("attribute", "last_update_time", True)),
        ("attribute.name", OrderKey("attribute", "name", True)),
    ],
)
def test_experiment_order_by_parses_attribute_clauses(clause: str, expected: OrderKey) -> None:
    assert parse_experiment_order_by([clause]) == (expected,)


@pytest.mark.parametrize(
    ("order_by", "message"),
    [
        (["tags.k"], "Invalid order_by entity: tag"),
        (["tag.k DESC"], "Invalid order_by entity: tag"),
        (["metrics.loss"], "Invalid entity type 'metrics'"),
        (["start_time"], "Invalid attribute key 'start_time'"),
        (["lifecycle_stage"], "Invalid attribute key 'lifecycle_stage'"),
        (["name", "name DESC"], "`order_by` contains duplicate fields"),
    ],
)
def test_experiment_order_by_rejects_non_attributes_and_duplicates(
    order_by: list[str], message: str
) -> None:
    with pytest.raises(InvalidArgument, match=message):
        parse_experiment_order_by(order_by)


# --- page tokens ---------------------------------------------------------------------------------


def test_page_token_matches_mlflow_encoding() -> None:
    assert encode_page_token(1) == "eyJvZmZzZXQiOiAxfQ=="
    assert decode_page_token("eyJvZmZzZXQiOiAxfQ==") == 1


@pytest.mark.parametrize("offset", [0, 1, 999, 50_000, 10**12])
def test_page_token_round_trips(offset: int) -> None:
    assert decode_page_token(encode_page_token(offset)) == offset


@pytest.mark.parametrize("token", [None, ""])
def test_page_token_absent_means_first_page(token: str | None) -> None:
    assert decode_page_token(token) == 0


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


@pytest.mark.parametrize(
    ("token", "message"),
    [
        ("not a token!", "Invalid page token, could not base64-decode"),
        ("abc", "Invalid page token, could not base64-decode"),
        ("é", "Invalid page token, could not base64-decode"),
        (_b64("offset=3"), "is not JSON"),
        (base64.b64encode(b"\xff\xfe\xfd").decode(), "is not JSON"),
        (_b64('{"offset": -1}'), "non-negative integer 'offset'"),
        (_b64('{"offset": 1.5}'), "non-negative integer 'offset'"),
        (_b64('{"offset": "3"}'), "non-negative integer 'offset'"),
        (_b64('{"offset": true}'), "non-negative integer 'offset'"),
        (_b64('{"start": 3}'), "non-negative integer 'offset'"),
        (_b64("[3]"), "non-negative integer 'offset'"),
        (_b64("3"), "non-negative integer 'offset'"),
    ],
)
def test_page_token_rejects_garbage(token: str, message: str) -> None:
    with pytest.raises(InvalidArgument, match=message):
        decode_page_token(token)


@pytest.mark.parametrize("offset", [-1, True])
def test_page_token_encoding_rejects_bad_offsets(offset: int) -> None:
    with pytest.raises(InvalidArgument, match="non-negative integer"):
        encode_page_token(offset)


# --- LIKE patterns -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "case_sensitive", "text", "matches"),
    [
        ("abc", True, "abc", True),
        ("abc", True, "abcd", False),
        ("abc", True, "xabc", False),
        ("a%", True, "a", True),
        ("a%", True, "abc", True),
        ("%c", True, "abc", True),
        ("%b%", True, "abc", True),
        ("%b%", True, "ac", False),
        ("%", True, "", True),
        ("%", True, "line\nbreak", True),
        ("a_c", True, "abc", True),
        ("a_c", True, "ac", False),
        ("a_c", True, "abbc", False),
        ("_", True, "\n", True),
        ("__", True, "é!", True),
        ("a.c", True, "abc", False),
        ("a.c", True, "a.c", True),
        ("a*", True, "aaa", False),
        ("a*", True, "a*", True),
        ("(x|y)+$", True, "(x|y)+$", True),
        ("(x|y)+$", True, "x", False),
        ("[ab]", True, "a", False),
        ("a\\_b", True, "a\\xb", True),
        ("a\\%", True, "a\\", True),
        ("0.%", True, "0.5", True),
        ("0.%", True, "005", False),
        ("REN%", True, "ren1", False),
        ("REN%", False, "ren1", True),
        ("ren%", False, "REN1", True),
        ("Straße", False, "STRASSE", False),
    ],
)
def test_like_pattern_matches_whole_strings(
    pattern: str, case_sensitive: bool, text: str, matches: bool
) -> None:
    assert like_pattern(pattern, case_sensitive=case_sensitive).matches(text) is matches


def test_like_pattern_is_compiled_once() -> None:
    assert like_pattern("a%", case_sensitive=False) is like_pattern("a%", case_sensitive=False)
