"use client";

import { useState } from "react";
import { Badge, Button, Card, Checkbox, EmptyState, Loading, PageHeader, SelectField, TextArea, TextField } from "@/components/ui";
import * as endpoints from "@/lib/endpoints";
import { count, formatTime, shortId } from "@/lib/format";
import { useLoad, usePagedList } from "@/lib/hooks";
import { notifyError, notifySuccess } from "@/lib/notify";
import { useSession } from "@/lib/session";
import { type RetentionRule, type RetentionRun, type Role, ROLES, type RuleAction, type RuleConditions, type RuleInput } from "@/lib/types";

const ACTION_TONE = { archive: "amber", delete: "rose", keep: "green" } as const;
const ACTION_HELP: Record<RuleAction, string> = {
  archive: "hide from search and listings (reversible)",
  delete: "remove rows archived for a while (or at once, skipping the archive)",
  keep: "a hold: later rules and the default policy leave these alone",
};

/** "older than 90 d · importance < 0.3 · roles tool" — every condition that is set. */
export function describeConditions(c: Partial<RuleConditions>): string {
  const parts: string[] = [];
  if (c.older_than_days != null) parts.push(`older than ${c.older_than_days} d`);
  if (c.importance_below != null) parts.push(`importance < ${c.importance_below}`);
  if (c.roles?.length) parts.push(`role ${c.roles.join(" or ")}`);
  if (c.conversation_id) parts.push(`conversation ${shortId(c.conversation_id)}`);
  if (c.metadata_contains && Object.keys(c.metadata_contains).length) parts.push(`metadata ⊇ ${JSON.stringify(c.metadata_contains)}`);
  return parts.length ? parts.join(" · ") : "every message";
}

interface RuleForm {
  name: string;
  action: RuleAction;
  older_than_days: string;
  importance_below: string;
  roles: Role[];
  conversation_id: string;
  metadata: string;
  priority: string;
  enabled: boolean;
  archived_for_days: string;
  skip_archive: boolean;
}

const BLANK: RuleForm = {
  name: "",
  action: "archive",
  older_than_days: "",
  importance_below: "",
  roles: [],
  conversation_id: "",
  metadata: "",
  priority: "100",
  enabled: true,
  archived_for_days: "",
  skip_archive: false,
};

/** The form as the API's rule, or the problem with it. */
export function toRuleInput(form: RuleForm): { rule?: RuleInput; problem?: string } {
  let metadata: Record<string, unknown> | undefined;
  if (form.metadata.trim()) {
    try {
      const parsed: unknown = JSON.parse(form.metadata);
      if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) throw new Error();
      metadata = parsed as Record<string, unknown>;
    } catch {
      return { problem: 'Metadata: a JSON object, for example {"source": "tool"}.' };
    }
  }
  const num = (v: string) => (v.trim() === "" ? undefined : Number(v));
  const conditions: Partial<RuleConditions> = {};
  if (num(form.older_than_days) !== undefined) conditions.older_than_days = num(form.older_than_days)!;
  if (num(form.importance_below) !== undefined) conditions.importance_below = num(form.importance_below)!;
  if (form.roles.length) conditions.roles = form.roles;
  if (form.conversation_id) conditions.conversation_id = form.conversation_id;
  if (metadata) conditions.metadata_contains = metadata;
  const rule: RuleInput = {
    name: form.name.trim(),
    action: form.action,
    conditions,
    enabled: form.enabled,
    priority: num(form.priority) ?? 100,
  };
  if (form.action === "delete") {
    if (num(form.archived_for_days) !== undefined) rule.archived_for_days = num(form.archived_for_days);
    rule.skip_archive = form.skip_archive;
  }
  return { rule };
}

function NewRule({ onCreated }: { onCreated: () => void }) {
  const { api, tenant } = useSession();
  const tenantId = tenant ?? "";
  const [form, setForm] = useState<RuleForm>(BLANK);
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const conversations = useLoad(tenant, () => endpoints.listConversations(api, tenantId, null, 100));
  const set = <K extends keyof RuleForm>(key: K, value: RuleForm[K]) => setForm((f) => ({ ...f, [key]: value }));

  async function submit(event: React.FormEvent) {
    event.preventDefault();
    const { rule, problem: wrong } = toRuleInput(form);
    setProblem(wrong ?? null);
    if (!rule) return;
    setBusy(true);
    try {
      const made = await endpoints.createRule(api, tenantId, rule);
      notifySuccess(`Rule “${made.name}” created`);
      setForm(BLANK);
      onCreated();
    } catch (error) {
      notifyError(error);
    } finally {
      setBusy(false);
    }
  }

  return (
    <form onSubmit={submit} className="grid gap-4" aria-label="New retention rule">
      <div className="grid gap-4 sm:grid-cols-[1fr_12rem_8rem]">
        <TextField label="Name" required value={form.name} onChange={(e) => set("name", e.target.value)} placeholder="archive old tool output" />
        <SelectField
          label="Action"
          value={form.action}
          onChange={(e) => set("action", e.target.value as RuleAction)}
          hint={ACTION_HELP[form.action]}
        >
          <option value="archive">archive</option>
          <option value="delete">delete</option>
          <option value="keep">keep (hold)</option>
        </SelectField>
        <TextField label="Priority" type="number" min={0} max={1000000} value={form.priority} onChange={(e) => set("priority", e.target.value)} hint="Lower runs first." />
      </div>
      <fieldset className="grid gap-4 rounded-md border border-slate-200 p-3 sm:grid-cols-2 lg:grid-cols-3">
        <legend className="px-1 text-sm font-medium text-slate-700">Conditions (all that are set must hold)</legend>
        <TextField label="Older than (days)" type="number" min={0} step="any" value={form.older_than_days} onChange={(e) => set("older_than_days", e.target.value)} />
        <TextField
          label="Importance below"
          type="number"
          min={0}
          max={1}
          step={0.05}
          value={form.importance_below}
          onChange={(e) => set("importance_below", e.target.value)}
        />
        <SelectField label="Conversation" value={form.conversation_id} onChange={(e) => set("conversation_id", e.target.value)}>
          <option value="">Any conversation</option>
          {(conversations.data?.items ?? []).map((c) => (
            <option key={c.id} value={c.id}>
              {c.title || `Untitled ${shortId(c.id)}`}
            </option>
          ))}
        </SelectField>
        <fieldset>
          <legend className="mb-1 text-sm font-medium text-slate-700">Roles</legend>
          <div className="flex flex-wrap gap-x-4 gap-y-2">
            {ROLES.map((role) => (
              <Checkbox
                key={role}
                label={role}
                checked={form.roles.includes(role)}
                onChange={(e) => set("roles", e.target.checked ? [...form.roles, role] : form.roles.filter((r) => r !== role))}
              />
            ))}
          </div>
        </fieldset>
        <TextArea
          label="Metadata contains (JSON)"
          rows={1}
          mono
          className="sm:col-span-2"
          placeholder='{"source": "tool"}'
          value={form.metadata}
          error={problem}
          onChange={(e) => set("metadata", e.target.value)}
        />
      </fieldset>
      {form.action === "delete" && (
        <div className="grid gap-4 sm:grid-cols-2">
          <TextField
            label="Archived for at least (days)"
            type="number"
            min={0}
            step="any"
            placeholder="30"
            value={form.archived_for_days}
            onChange={(e) => set("archived_for_days", e.target.value)}
          />
          <div className="flex items-end pb-2">
            <Checkbox label="Delete without archiving first" checked={form.skip_archive} onChange={(e) => set("skip_archive", e.target.checked)} />
          </div>
        </div>
      )}
      <div className="flex flex-wrap items-center gap-4">
        <Checkbox label="Enabled" checked={form.enabled} onChange={(e) => set("enabled", e.target.checked)} />
        <Button type="submit" loading={busy}>
          Create rule
        </Button>
      </div>
    </form>
  );
}

function RuleRow({ rule, onChanged }: { rule: RetentionRule; onChanged: () => void }) {
  const { api, tenant } = useSession();
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);

  async function act(what: () => Promise<unknown>, done: string) {
    setBusy(true);
    try {
      await what();
      notifySuccess(done);
      onChanged();
    } catch (error) {
      notifyError(error);
    } finally {
      setBusy(false);
      setConfirming(false);
    }
  }

  return (
    <li data-testid="retention-rule" className="flex flex-wrap items-center gap-x-4 gap-y-2 px-4 py-3">
      <span className="w-10 shrink-0 font-mono text-xs text-slate-500" title="priority (lower runs first)">
        #{rule.priority}
      </span>
      <div className="min-w-0 flex-1 basis-56">
        <div className="flex flex-wrap items-center gap-2">
          <span className={rule.enabled ? "font-medium text-slate-900" : "font-medium text-slate-400 line-through"}>{rule.name}</span>
          <Badge tone={ACTION_TONE[rule.action]}>{rule.action}</Badge>
          {rule.action === "delete" && (
            <span className="text-xs text-slate-500">
              {rule.skip_archive ? "without archiving" : `archived ≥ ${rule.archived_for_days ?? 30} d`}
            </span>
          )}
        </div>
        <p className="mt-1 text-xs text-slate-600">{describeConditions(rule.conditions)}</p>
      </div>
      <Checkbox
        label="Enabled"
        checked={rule.enabled}
        disabled={busy}
        onChange={(e) =>
          void act(
            () => endpoints.updateRule(api, tenant ?? "", rule.id, { enabled: e.target.checked }),
            `Rule “${rule.name}” ${e.target.checked ? "enabled" : "disabled"}`,
          )
        }
      />
      {confirming ? (
        <span className="flex gap-2">
          <Button
            variant="danger"
            size="sm"
            loading={busy}
            autoFocus
            onClick={() => void act(() => endpoints.deleteRule(api, tenant ?? "", rule.id), `Rule “${rule.name}” deleted`)}
          >
            Delete rule
          </Button>
          <Button variant="ghost" size="sm" onClick={() => setConfirming(false)}>
            Cancel
          </Button>
        </span>
      ) : (
        <Button variant="secondary" size="sm" onClick={() => setConfirming(true)} aria-label={`Delete ${rule.name}`}>
          Delete…
        </Button>
      )}
    </li>
  );
}

/** Archived and deleted rows of a run; a dry run records none, so its steps' counts. */
export function runTotals(run: RetentionRun): { archived: number; deleted: number } {
  if (!run.dry_run) return { archived: run.archived, deleted: run.deleted };
  const sum = (action: RuleAction) => run.results.filter((r) => r.action === action).reduce((n, r) => n + r.affected, 0);
  return { archived: sum("archive"), deleted: sum("delete") };
}

export function RunReport({ run }: { run: RetentionRun }) {
  const totals = runTotals(run);
  return (
    <div data-testid="retention-run" className="grid gap-3">
      <div className="flex flex-wrap items-center gap-2 text-sm">
        <Badge tone={run.dry_run ? "sky" : "indigo"}>{run.dry_run ? "dry run" : "run"}</Badge>
        <Badge tone={run.status === "succeeded" ? "green" : run.status === "running" ? "amber" : "rose"}>{run.status}</Badge>
        <span className="text-slate-600">as of {formatTime(run.as_of)}</span>
        <span className="text-slate-900">
          {run.dry_run ? "would archive" : "archived"} <strong className="tabular-nums">{count(totals.archived)}</strong> ·{" "}
          {run.dry_run ? "would delete" : "deleted"} <strong className="tabular-nums">{count(totals.deleted)}</strong>
        </span>
      </div>
      {run.error && <p className="text-sm text-rose-700">{run.error}</p>}
      {run.results.length === 0 ? (
        <p className="text-sm text-slate-500">No step touched any message.</p>
      ) : (
        <div className="overflow-x-auto">
          <table className="w-full min-w-[28rem] text-left text-sm">
            <thead className="text-xs text-slate-500">
              <tr>
                <th scope="col" className="py-1 pr-3 font-medium">Step</th>
                <th scope="col" className="py-1 pr-3 font-medium">Action</th>
                <th scope="col" className="py-1 pr-3 text-right font-medium">{run.dry_run ? "Would affect" : "Affected"}</th>
                <th scope="col" className="py-1 font-medium">Sample</th>
              </tr>
            </thead>
            <tbody>
              {run.results.map((step) => (
                <tr key={step.key} className="border-t border-slate-100">
                  <td className="py-1.5 pr-3">{step.name}</td>
                  <td className="py-1.5 pr-3">
                    <Badge tone={ACTION_TONE[step.action]}>{step.action}</Badge>
                  </td>
                  <td className="py-1.5 pr-3 text-right tabular-nums">{count(step.affected)}</td>
                  <td className="py-1.5 font-mono text-xs text-slate-500">
                    {step.sample_ids.slice(0, 3).map(shortId).join(", ")}
                    {step.sample_ids.length > 3 ? " …" : ""}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}

function RunPanel({ onRan }: { onRan: () => void }) {
  const { api, tenant } = useSession();
  const [last, setLast] = useState<RetentionRun | null>(null);
  const [busy, setBusy] = useState<"dry" | "real" | null>(null);
  const [confirming, setConfirming] = useState(false);

  async function run(dryRun: boolean) {
    setBusy(dryRun ? "dry" : "real");
    setConfirming(false);
    try {
      const result = await endpoints.runRetention(api, tenant ?? "", dryRun);
      setLast(result);
      if (!dryRun) notifySuccess(`Retention ran: ${result.archived} archived, ${result.deleted} deleted`);
      onRan();
    } catch (error) {
      notifyError(error);
    } finally {
      setBusy(null);
    }
  }

  return (
    <div className="grid gap-4">
      <div className="flex flex-wrap items-center gap-2">
        <Button variant="secondary" loading={busy === "dry"} disabled={busy !== null} onClick={() => void run(true)}>
          Dry run
        </Button>
        {confirming ? (
          <>
            <Button variant="danger" loading={busy === "real"} autoFocus onClick={() => void run(false)}>
              Apply the rules now
            </Button>
            <Button variant="ghost" onClick={() => setConfirming(false)}>
              Cancel
            </Button>
          </>
        ) : (
          <Button disabled={busy !== null} onClick={() => setConfirming(true)}>
            Run now…
          </Button>
        )}
        <span className="text-xs text-slate-500">A dry run counts what each step would touch and changes nothing.</span>
      </div>
      {last && <RunReport run={last} />}
    </div>
  );
}

export function RetentionScreen() {
  const { api, tenant, isAdmin } = useSession();
  const tenantId = tenant ?? "";
  const rules = useLoad(isAdmin ? tenant : null, () => endpoints.listRules(api, tenantId));
  const runs = usePagedList(isAdmin ? tenant : null, (cursor) => endpoints.listRuns(api, tenantId, cursor, 10));

  if (!isAdmin) {
    return (
      <>
        <PageHeader title="Retention" />
        <EmptyState title="Only tenant admins manage retention">Ask an admin of {tenantId}.</EmptyState>
      </>
    );
  }

  const list = rules.data?.items ?? [];
  return (
    <>
      <PageHeader
        title="Retention"
        description="Rules apply in priority order, then the default policy; the schedule runs them, or run them here."
      />
      <Card title="Run" className="mb-6">
        <RunPanel onRan={() => void runs.reload()} />
      </Card>
      <h2 className="mb-3 text-lg font-semibold">Rules</h2>
      {rules.loading && !rules.data ? (
        <Loading label="Loading rules…" />
      ) : list.length === 0 ? (
        <EmptyState title={rules.failed ? "Could not load the rules" : "No rules yet"}>
          {rules.failed ? "Try again in a moment." : "Only the default policy applies. Add a rule below."}
        </EmptyState>
      ) : (
        <ul aria-label="Retention rules" className="divide-y divide-slate-100 rounded-lg border border-slate-200 bg-white shadow-sm">
          {list.map((rule) => (
            <RuleRow key={rule.id} rule={rule} onChanged={() => void rules.reload()} />
          ))}
        </ul>
      )}
      <Card title="New rule" className="mt-6">
        <NewRule onCreated={() => void rules.reload()} />
      </Card>
      <h2 className="mb-3 mt-8 text-lg font-semibold">Run history</h2>
      {runs.loading ? (
        <Loading label="Loading runs…" />
      ) : runs.items.length === 0 ? (
        <EmptyState title="No runs yet" />
      ) : (
        <>
          <ul aria-label="Retention runs" className="divide-y divide-slate-100 rounded-lg border border-slate-200 bg-white shadow-sm">
            {runs.items.map((run) => (
              <li key={run.id} className="flex flex-wrap items-center gap-x-4 gap-y-1 px-4 py-3 text-sm">
                <span className="w-40 shrink-0 text-slate-600">{formatTime(run.started_at)}</span>
                <Badge tone={run.dry_run ? "sky" : "indigo"}>{run.dry_run ? "dry run" : run.triggered_by}</Badge>
                <Badge tone={run.status === "succeeded" ? "green" : run.status === "running" ? "amber" : "rose"}>{run.status}</Badge>
                <span className="tabular-nums text-slate-700">
                  {run.dry_run ? "would have " : ""}
                  {count(runTotals(run).archived)} archived · {count(runTotals(run).deleted)} deleted
                </span>
                {run.error && <span className="text-rose-700">{run.error}</span>}
              </li>
            ))}
          </ul>
          {runs.nextCursor && (
            <div className="mt-4 flex justify-center">
              <Button variant="secondary" loading={runs.loadingMore} onClick={() => void runs.loadMore()}>
                Load more
              </Button>
            </div>
          )}
        </>
      )}
    </>
  );
}
