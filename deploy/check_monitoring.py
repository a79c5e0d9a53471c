"""Helper of deploy/check-monitoring (run that, not this). Python stdlib only.

  check_monitoring.py dashboard DASHBOARD.json RULES_OUT.json
      Check the Grafana dashboard's structure; write its queries, with the
      Grafana variables filled in, as recording rules to RULES_OUT.json so
      that `promtool check rules` can parse them.
  check_monitoring.py names ALERTS.yml DASHBOARD.json METRICS.txt
      Check that every metric used by the rules and the dashboard appears in
      METRICS.txt, a saved /metrics scrape of a real instance.

Prints what it checked; exits 1 with one line per problem on failure.
"""
import json
import re
import sys

GRID_WIDTH = 24
# Grafana variables -> something PromQL parses, for the syntax check.
VARIABLES = {"__rate_interval": "1m", "__interval": "1m", "__range": "1h", "instance": ".*"}
HISTOGRAM_SUFFIXES = ("_bucket", "_sum", "_count")
# Series Prometheus makes itself, not the service.
SYNTHETIC = {"up"}
PROMQL_KEYWORDS = {"by", "without", "on", "ignoring", "group_left", "group_right",
                   "bool", "and", "or", "unless", "offset", "inf", "nan"}


def fail(problems):
    for p in problems:
        print(f"  problem: {p}", file=sys.stderr)
    sys.exit(1)


def load_dashboard(path):
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except (OSError, json.JSONDecodeError) as e:
        fail([f"{path}: {e}"])


def all_panels(panels):
    """Every panel, including those inside collapsed rows."""
    for p in panels:
        yield p
        yield from all_panels(p.get("panels", []))


def is_template_ref(uid):
    return isinstance(uid, str) and re.fullmatch(r"\$\{?\w+\}?", uid) is not None


def check_panel(p, problems):
    name = f"panel {p.get('id')} ({p.get('title') or 'untitled'})"
    if not isinstance(p.get("title"), str) or not p["title"].strip():
        problems.append(f"{name}: no title")
    grid = p.get("gridPos")
    if not isinstance(grid, dict) or not all(isinstance(grid.get(k), int) for k in "hwxy"):
        problems.append(f"{name}: gridPos missing or without integer h, w, x, y")
    elif grid["w"] < 1 or grid["h"] < 1 or grid["x"] < 0 or grid["x"] + grid["w"] > GRID_WIDTH:
        problems.append(f"{name}: gridPos {grid} outside the {GRID_WIDTH}-column grid")
    if p.get("type") == "row":
        return []
    # A fixed datasource uid would break on any other Grafana: use the variable.
    ds = p.get("datasource")
    if not isinstance(ds, dict) or not is_template_ref(ds.get("uid")):
        problems.append(f"{name}: datasource must be the templated one, got {ds!r}")
    targets = p.get("targets")
    if not isinstance(targets, list) or not targets:
        problems.append(f"{name}: no targets")
        return []
    exprs, ref_ids = [], set()
    for t in targets:
        expr, ref = t.get("expr"), t.get("refId")
        if not isinstance(expr, str) or not expr.strip():
            problems.append(f"{name}: target {ref} has no expr")
            continue
        if ref in ref_ids:
            problems.append(f"{name}: refId {ref} used twice")
        ref_ids.add(ref)
        if "$instance" not in expr:
            problems.append(f"{name}: query ignores the instance variable: {expr}")
        exprs.append((f"dashboard:panel_{p.get('id')}_{ref}", expr))
    return exprs


def overlaps(panels):
    boxes = [(p.get("title"), p["gridPos"]) for p in panels if isinstance(p.get("gridPos"), dict)]
    found = []
    for i, (ta, a) in enumerate(boxes):
        for tb, b in boxes[i + 1:]:
            try:
                if (a["x"] < b["x"] + b["w"] and b["x"] < a["x"] + a["w"] and
                        a["y"] < b["y"] + b["h"] and b["y"] < a["y"] + a["h"]):
                    found.append(f"panels '{ta}' and '{tb}' overlap")
            except (KeyError, TypeError):
                pass  # reported by check_panel
    return found


def check_dashboard(path, rules_out):
    d = load_dashboard(path)
    problems = []
    for key in ("title", "uid", "schemaVersion", "panels", "templating"):
        if key not in d:
            problems.append(f"dashboard has no {key}")
    variables = {v.get("name"): v for v in d.get("templating", {}).get("list", [])}
    ds_var = variables.get("datasource", {})
    if ds_var.get("type") != "datasource" or ds_var.get("query") != "prometheus":
        problems.append("no 'datasource' variable of type datasource (prometheus)")
    inst = variables.get("instance", {})
    if not (inst.get("multi") and inst.get("includeAll")):
        problems.append("no 'instance' variable with multi-select and All")

    panels = list(all_panels(d.get("panels", [])))
    ids = [p.get("id") for p in panels]
    for i in sorted({i for i in ids if ids.count(i) > 1 or not isinstance(i, int)}, key=str):
        problems.append(f"panel id {i!r} is missing, not an integer, or not unique")
    exprs = []
    for p in panels:
        exprs += check_panel(p, problems)
    problems += overlaps(d.get("panels", []))
    if problems:
        fail(problems)

    def fill(expr):
        return re.sub(r"\$\{?(\w+)\}?", lambda m: VARIABLES.get(m.group(1), m.group(0)), expr)

    rules = [{"record": name, "expr": fill(expr)} for name, expr in exprs]
    with open(rules_out, "w", encoding="utf-8") as f:
        json.dump({"groups": [{"name": "dashboard", "rules": rules}]}, f, indent=1)
    rows = sum(p.get("type") == "row" for p in panels)
    print(f"  {path}: OK: {len(panels) - rows} panels in {rows} rows, {len(exprs)} queries;"
          " every panel has a title, the templated datasource, queries using $instance and a gridPos;"
          " ids unique; no overlaps")


def yaml_values(path, key):
    """Values of `key:` in a plain YAML file such as alerts.yml: one-line
    scalars and `|` / `>` blocks. promtool has parsed the file properly
    already; this only needs the expressions."""
    lines = open(path, encoding="utf-8").read().splitlines()
    values, i = [], 0
    while i < len(lines):
        m = re.match(r"^(\s*)(?:-\s+)?" + key + r":\s*(.*)$", lines[i])
        i += 1
        if not m:
            continue
        indent, value = len(m.group(1)), m.group(2).strip()
        if value[:1] in ("|", ">"):
            block = []
            while i < len(lines) and (not lines[i].strip() or
                                      len(lines[i]) - len(lines[i].lstrip()) > indent):
                block.append(lines[i].strip())
                i += 1
            values.append("\n".join(block))
        elif value[:1] == '"':
            values.append(json.loads(value))
        elif value[:1] == "'":
            values.append(value[1:-1].replace("''", "'"))
        else:
            values.append(re.sub(r"\s+#.*$", "", value))
    return values


def metric_names(expr):
    """Metric names a PromQL expression selects (no full parser: strings,
    label matchers, ranges, grouping clauses and numbers are cut out, then
    every remaining identifier not followed by '(' is a metric)."""
    s = re.sub(r'"(?:\\.|[^"\\])*"|\'(?:\\.|[^\'\\])*\'|`[^`]*`', " ", expr)
    s = re.sub(r"\{[^}]*\}|\[[^\]]*\]|\$\{?\w+\}?", " ", s)
    s = re.sub(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", s)
    s = re.sub(r"\b\d[\w.]*", " ", s)
    names = set()
    for m in re.finditer(r"[A-Za-z_:][\w:]*", s):
        if m.group() not in PROMQL_KEYWORDS and not s[m.end():].lstrip().startswith("("):
            names.add(m.group())
    return names


def base_name(name):
    for suffix in HISTOGRAM_SUFFIXES:
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name


def exposed_names(path):
    """Metric families in a scrape: from # TYPE / # HELP lines and samples."""
    names = set()
    with open(path, encoding="utf-8") as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 3 and parts[0] == "#" and parts[1] in ("TYPE", "HELP"):
                names.add(parts[2])
            elif parts and not parts[0].startswith("#"):
                m = re.match(r"[A-Za-z_:][\w:]*", parts[0])
                if m:
                    names.add(m.group())
    return names


def check_names(alerts_path, dashboard_path, metrics_path):
    n_rules = sum(1 for line in open(alerts_path, encoding="utf-8")
                  if re.match(r"^\s*-\s+(?:record|alert):", line))
    rule_exprs = yaml_values(alerts_path, "expr")
    recorded = set(yaml_values(alerts_path, "record"))
    if len(rule_exprs) != n_rules:
        fail([f"{alerts_path}: read {len(rule_exprs)} expr for {n_rules} rules;"
              " keep one `expr:` per rule, one-line or a | block"])

    used = {}  # metric name -> where it is used
    def note(where, expr):
        for name in metric_names(expr) - recorded - SYNTHETIC:
            used.setdefault(name, []).append(where)
    for expr in rule_exprs:
        note("alerts.yml", expr)
    d = load_dashboard(dashboard_path)
    for p in all_panels(d.get("panels", [])):
        for t in p.get("targets", []):
            note(f"dashboard '{p.get('title')}'", t.get("expr", ""))

    exposed = exposed_names(metrics_path)
    exposed |= {base_name(n) for n in exposed}
    missing = sorted(n for n in used if base_name(n) not in exposed)
    if missing:
        fail([f"{n} is not in {metrics_path} (used by {', '.join(sorted(set(used[n])))})"
              for n in missing])
    families = sorted({base_name(n) for n in used})
    print(f"  {metrics_path}: OK: all {len(families)} metrics used by alerts.yml and the dashboard"
          f" are exposed: {' '.join(families)}")
    unused = sorted({base_name(n) for n in exposed} - set(families) - SYNTHETIC)
    if unused:
        print(f"  note: exposed but shown nowhere: {' '.join(unused)}")


def main(argv):
    if len(argv) == 3 and argv[0] == "dashboard":
        check_dashboard(argv[1], argv[2])
    elif len(argv) == 4 and argv[0] == "names":
        check_names(argv[1], argv[2], argv[3])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
