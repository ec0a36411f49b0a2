import { screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import type { RetentionRule, RetentionRun } from "@/lib/types";
import { renderSignedIn } from "@/test/helpers";
import { describeConditions, RetentionScreen, runTotals } from "./RetentionScreen";

const RULE: RetentionRule = {
  id: "r1",
  tenant_id: "acme",
  name: "archive tool output",
  action: "archive",
  conditions: { older_than_days: 7, importance_below: null, roles: ["tool"], conversation_id: null, metadata_contains: null },
  enabled: true,
  priority: 10,
  archived_for_days: null,
  skip_archive: false,
  created_at: "2026-11-01T00:00:00Z",
  updated_at: "2026-11-01T00:00:00Z",
};

const dryRun = (affected: number): RetentionRun => ({
  id: "run1",
  tenant_id: "acme",
  triggered_by: "manual",
  dry_run: true,
  status: "succeeded",
  as_of: "2026-11-02T00:00:00Z",
  started_at: "2026-11-02T00:00:00Z",
  finished_at: "2026-11-02T00:00:01Z",
  batches: 0,
  archived: 0,
  deleted: 0,
  results: [{ key: "r1", rule_id: "r1", name: "archive tool output", action: "archive", affected, batches: 0, sample_ids: ["aaaaaaaa-1", "bbbbbbbb-2"] }],
  error: null,
});

function routes(rules: RetentionRule[], runs: RetentionRun[] = []) {
  return {
    "GET /v1/conversations": () => ({ body: { items: [], next_cursor: null } }),
    "GET /v1/admin/retention/rules": () => ({ body: { items: rules } }),
    "GET /v1/admin/retention/runs": () => ({ body: { items: runs, next_cursor: null } }),
  };
}

describe("retention", () => {
  it("summarises a rule's conditions in words", () => {
    expect(describeConditions(RULE.conditions)).toBe("older than 7 d · role tool");
    expect(describeConditions({})).toBe("every message");
  });

  it("counts a dry run's totals from its steps (the run itself changes nothing)", () => {
    expect(runTotals(dryRun(4))).toEqual({ archived: 4, deleted: 0 });
    expect(runTotals({ ...dryRun(4), dry_run: false, archived: 3, deleted: 1 })).toEqual({ archived: 3, deleted: 1 });
  });

  it("creates a rule from the form, with only the conditions that are set", async () => {
    const user = userEvent.setup();
    const rules: RetentionRule[] = [];
    const { calls } = renderSignedIn(<RetentionScreen />, {
      ...routes(rules),
      "POST /v1/admin/retention/rules": ({ body }) => {
        rules.push({ ...RULE, ...(body as object) } as RetentionRule);
        return { status: 201, body: rules[0] };
      },
    });
    expect(await screen.findByText("No rules yet")).toBeInTheDocument();
    const form = screen.getByRole("form", { name: "New retention rule" });
    await user.type(within(form).getByLabelText("Name"), "drop old tool output");
    await user.selectOptions(within(form).getByLabelText("Action"), "delete");
    await user.type(within(form).getByLabelText("Older than (days)"), "30");
    await user.click(within(form).getByLabelText("tool"));
    await user.click(within(form).getByLabelText("Delete without archiving first"));
    await user.click(within(form).getByRole("button", { name: "Create rule" }));
    expect(await screen.findByTestId("retention-rule")).toHaveTextContent("drop old tool output");
    expect(calls.find((c) => c.method === "POST" && c.path === "/v1/admin/retention/rules")?.body).toEqual({
      tenant_id: "acme",
      name: "drop old tool output",
      action: "delete",
      conditions: { older_than_days: 30, roles: ["tool"] },
      enabled: true,
      priority: 100,
      skip_archive: true,
    });
  });

  it("dry-runs, and applies the rules only after a confirmation", async () => {
    const user = userEvent.setup();
    const { calls } = renderSignedIn(<RetentionScreen />, {
      ...routes([RULE]),
      "POST /v1/admin/retention/run": ({ body }) =>
        (body as { dry_run: boolean }).dry_run
          ? { body: dryRun(2) }
          : { body: { ...dryRun(2), dry_run: false, archived: 2, batches: 1 } },
    });
    await user.click(await screen.findByRole("button", { name: "Dry run" }));
    expect(await screen.findByTestId("retention-run")).toHaveTextContent("would archive 2");
    await user.click(screen.getByRole("button", { name: "Run now…" }));
    expect(calls.filter((c) => c.path === "/v1/admin/retention/run")).toHaveLength(1);
    await user.click(screen.getByRole("button", { name: "Apply the rules now" }));
    expect(await screen.findByText("Retention ran: 2 archived, 0 deleted")).toBeInTheDocument();
    expect(calls.filter((c) => c.path === "/v1/admin/retention/run").map((c) => (c.body as { dry_run: boolean }).dry_run)).toEqual([
      true,
      false,
    ]);
  });
});
