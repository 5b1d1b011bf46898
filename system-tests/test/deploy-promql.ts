// Just enough PromQL for the deployment tests: the vector selectors of an expression (metric name and label
// matchers), the labels its by/without/on/ignoring/group_* clauses name, and the syntax errors that would make
// Prometheus or Grafana refuse it (unbalanced brackets, unknown functions, a matcher that is not one).
// Grafana's variables ($__rate_interval, $region, ${region:regex}) are accepted where Grafana expands them.

import { ConfigError } from '@strata/shared';

export interface LabelMatcher {
  readonly label: string;
  readonly op: '=' | '!=' | '=~' | '!~';
  readonly value: string;
}

export interface VectorSelector {
  /** The metric name, or undefined for a selector without one (`{__name__=~"..."}` with a regex). */
  readonly metric: string | undefined;
  readonly matchers: readonly LabelMatcher[];
}

export interface PromQlQuery {
  readonly selectors: readonly VectorSelector[];
  /** Labels named by by/without/on/ignoring/group_left/group_right. */
  readonly groupingLabels: readonly string[];
  /** Labels an aggregation keeps (`by (...)` only). */
  readonly byLabels: readonly string[];
  readonly functions: readonly string[];
}

const AGGREGATIONS = new Set([
  'sum',
  'avg',
  'min',
  'max',
  'count',
  'stddev',
  'stdvar',
  'topk',
  'bottomk',
  'quantile',
  'count_values',
  'group',
  'limitk',
  'limit_ratio',
]);

const FUNCTIONS = new Set([
  'abs',
  'absent',
  'absent_over_time',
  'acos',
  'acosh',
  'asin',
  'asinh',
  'atan',
  'atanh',
  'avg_over_time',
  'ceil',
  'changes',
  'clamp',
  'clamp_max',
  'clamp_min',
  'cos',
  'cosh',
  'count_over_time',
  'day_of_month',
  'day_of_week',
  'day_of_year',
  'days_in_month',
  'deg',
  'delta',
  'deriv',
  'double_exponential_smoothing',
  'end',
  'exp',
  'floor',
  'histogram_avg',
  'histogram_count',
  'histogram_fraction',
  'histogram_quantile',
  'histogram_stddev',
  'histogram_stdvar',
  'histogram_sum',
  'holt_winters',
  'hour',
  'idelta',
  'increase',
  'irate',
  'label_join',
  'label_replace',
  'last_over_time',
  'ln',
  'log10',
  'log2',
  'mad_over_time',
  'max_over_time',
  'min_over_time',
  'minute',
  'month',
  'pi',
  'predict_linear',
  'present_over_time',
  'quantile_over_time',
  'rad',
  'rate',
  'resets',
  'round',
  'scalar',
  'sgn',
  'sin',
  'sinh',
  'sort',
  'sort_by_label',
  'sort_by_label_desc',
  'sort_desc',
  'sqrt',
  'start',
  'stddev_over_time',
  'stdvar_over_time',
  'sum_over_time',
  'tan',
  'tanh',
  'time',
  'timestamp',
  'vector',
  'year',
]);

const BINARY_KEYWORDS = new Set(['and', 'or', 'unless', 'bool', 'offset', 'atan2']);
const GROUPING_KEYWORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right']);

type TokenKind = 'ident' | 'string' | 'number' | 'punct' | 'op' | 'range';

interface Token {
  readonly kind: TokenKind;
  readonly text: string;
  readonly at: number;
}

/** Replaces Grafana's variables by something PromQL accepts where they may stand: a duration, or a word. */
export function expandGrafanaVariables(expr: string): string {
  return expr
    .replace(/\$__(rate_interval|interval|range)\b|\$\{__(rate_interval|interval|range)\}/g, '5m')
    .replace(/\$\{[A-Za-z_][A-Za-z0-9_]*(:[a-z]+)?\}|\$[A-Za-z_][A-Za-z0-9_]*/g, 'x');
}

/** The Grafana variables an expression uses (built-ins such as $__rate_interval excepted). */
export function grafanaVariables(expr: string): string[] {
  const names = [...expr.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?::[a-z]+)?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => m[1] ?? m[2]);
  return [...new Set(names.filter((name) => !name.startsWith('__')))];
}

function tokenize(expr: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const fail = (what: string): never => {
    throw new ConfigError(`PromQL: ${what} at offset ${i} of ${JSON.stringify(expr)}`);
  };
  while (i < expr.length) {
    const c = expr[i];
    if (/\s/.test(c)) {
      i++;
    } else if (c === '#') {
      while (i < expr.length && expr[i] !== '\n') i++;
    } else if (c === '"' || c === "'" || c === '`') {
      const start = i++;
      let value = '';
      while (i < expr.length && expr[i] !== c) {
        if (expr[i] === '\\' && c !== '`') i++;
        value += expr[i++];
      }
      if (i >= expr.length) fail('unterminated string');
      i++;
      tokens.push({ kind: 'string', text: value, at: start });
    } else if (/[0-9]/.test(c) || (c === '.' && /[0-9]/.test(expr[i + 1] ?? ''))) {
      // Numbers, hex, exponents and durations (5m, 1h30m) alike.
      const start = i;
      while (i < expr.length && /[0-9A-Za-z_.]/.test(expr[i])) i++;
      tokens.push({ kind: 'number', text: expr.slice(start, i), at: start });
    } else if (/[A-Za-z_:]/.test(c)) {
      const start = i;
      while (i < expr.length && /[A-Za-z0-9_:]/.test(expr[i])) i++;
      tokens.push({ kind: 'ident', text: expr.slice(start, i), at: start });
    } else if (c === '[') {
      // A range or subquery: durations, ':' and a step; no selector can be inside.
      const start = i;
      const end = expr.indexOf(']', i);
      if (end < 0) fail('unclosed [');
      const inside = expr.slice(i + 1, end).trim();
      if (!/^[0-9smhdwy]+(:[0-9smhdwy]*)?$/.test(inside.replace(/\s+/g, ''))) fail(`not a range or subquery: [${inside}]`);
      i = end + 1;
      tokens.push({ kind: 'range', text: inside, at: start });
    } else if ('(){},'.includes(c)) {
      tokens.push({ kind: 'punct', text: c, at: i++ });
    } else {
      const two = expr.slice(i, i + 2);
      if (['==', '!=', '=~', '!~', '>=', '<='].includes(two)) {
        tokens.push({ kind: 'op', text: two, at: i });
        i += 2;
      } else if ('=<>+-*/%^@'.includes(c)) {
        tokens.push({ kind: 'op', text: c, at: i++ });
      } else {
        fail(`unexpected character ${JSON.stringify(c)}`);
      }
    }
  }
  return tokens;
}

/** Parses `expr` (Grafana variables allowed); throws a ConfigError naming the first syntax error. */
export function parsePromQl(expr: string): PromQlQuery {
  const tokens = tokenize(expandGrafanaVariables(expr));
  const selectors: VectorSelector[] = [];
  const groupingLabels: string[] = [];
  const byLabels: string[] = [];
  const functions: string[] = [];
  const fail = (what: string, token?: Token): never => {
    throw new ConfigError(`PromQL: ${what}${token ? ` at offset ${token.at}` : ''} of ${JSON.stringify(expr)}`);
  };
  const stack: string[] = [];
  let i = 0;

  const labelList = (into: string[][]): void => {
    // tokens[i] is '(' after a grouping keyword.
    i++;
    while (i < tokens.length && tokens[i].text !== ')') {
      const token = tokens[i];
      if (token.kind !== 'ident' && token.kind !== 'string') fail(`expected a label name, got ${JSON.stringify(token.text)}`, token);
      for (const list of into) list.push(token.text);
      i++;
      if (tokens[i]?.text === ',') i++;
    }
    if (tokens[i]?.text !== ')') fail('unclosed label list');
    i++;
  };

  const matchers = (): LabelMatcher[] => {
    // tokens[i] is '{'.
    const found: LabelMatcher[] = [];
    i++;
    while (i < tokens.length && tokens[i].text !== '}') {
      const [label, op, value] = [tokens[i], tokens[i + 1], tokens[i + 2]];
      if (label?.kind !== 'ident' || !op || !['=', '!=', '=~', '!~'].includes(op.text) || value?.kind !== 'string') {
        fail('expected label matchers such as {label="value"}', label);
      }
      found.push({ label: label.text, op: op.text as LabelMatcher['op'], value: value.text });
      i += 3;
      if (tokens[i]?.text === ',') i++;
    }
    if (tokens[i]?.text !== '}') fail('unclosed {');
    i++;
    return found;
  };

  while (i < tokens.length) {
    const token = tokens[i];
    const next = tokens[i + 1];
    if (token.kind === 'ident') {
      const word = token.text.toLowerCase();
      if (BINARY_KEYWORDS.has(word) || word === 'inf' || word === 'nan') {
        i++;
      } else if (GROUPING_KEYWORDS.has(word)) {
        i++;
        if (tokens[i]?.text === '(') labelList(word === 'by' ? [groupingLabels, byLabels] : [groupingLabels]);
        else if (word !== 'group_left' && word !== 'group_right') fail(`${word} needs a label list`, token);
      } else if (next?.text === '(' || (AGGREGATIONS.has(token.text) && (next?.text === 'by' || next?.text === 'without'))) {
        if (!FUNCTIONS.has(token.text) && !AGGREGATIONS.has(token.text)) fail(`unknown function ${token.text}()`, token);
        functions.push(token.text);
        i++;
      } else {
        i++;
        const found = tokens[i]?.text === '{' ? matchers() : [];
        selectors.push({ metric: token.text, matchers: found });
      }
    } else if (token.text === '{') {
      const found = matchers();
      const name = found.find((m) => m.label === '__name__' && m.op === '=');
      selectors.push({ metric: name?.value, matchers: found.filter((m) => m !== name) });
    } else if (token.text === '(') {
      stack.push('(');
      i++;
    } else if (token.text === ')') {
      if (stack.pop() !== '(') fail('unbalanced )', token);
      i++;
    } else if (token.text === '}') {
      fail('unbalanced }', token);
    } else {
      i++;
    }
  }
  if (stack.length > 0) fail('unclosed (');
  return { selectors, groupingLabels, byLabels, functions };
}
