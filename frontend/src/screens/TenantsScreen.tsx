"use client";

import { useEffect, useState } from "react";
import { Badge, Button, Card, PageHeader, SelectField, TextField } from "@/components/ui";
import * as endpoints from "@/lib/endpoints";
import { count } from "@/lib/format";
import { notifyError, notifySuccess } from "@/lib/notify";
import { useSession } from "@/lib/session";
import type { Usage } from "@/lib/types";

/** Each tenant's figures (stored now, and the last 30 days), fetched one after another. */
function useTenantUsage(ids: string[]) {
  const { api } = useSession();
  const [figures, setFigures] = useState<Record<string, Usage | "error">>({});
  const wanted = ids.join(",");
  useEffect(() => {
    let cancelled = false;
    (async () => {
      for (const id of wanted ? wanted.split(",") : []) {
        try {
          const usage = await endpoints.usage(api, id);
          if (!cancelled) setFigures((f) => ({ ...f, [id]: usage }));
        } catch {
          if (!cancelled) setFigures((f) => ({ ...f, [id]: "error" }));
        }
      }
    })();
    return () => {
      cancelled = true;
    };
  }, [api, wanted]);
  return figures;
}

function CreateTenant() {
  const session = useSession();
  const [tenantId, setTenantId] = useState("");
  const [name, setName] = useState("");
  const [busy, setBusy] = useState(false);

  async function submit(event: React.FormEvent) {
    event.preventDefault();
    setBusy(true);
    try {
      await endpoints.createTenant(session.api, tenantId.trim(), name.trim() || undefined);
      await session.reloadMe();
      session.setTenant(tenantId.trim());
      notifySuccess(`Tenant ${tenantId.trim()} created; you are its admin`);
      setTenantId("");
      setName("");
    } catch (error) {
      notifyError(error);
    } finally {
      setBusy(false);
    }
  }

  return (
    <form onSubmit={submit} className="grid gap-4" aria-label="Create a tenant">
      <TextField
        label="Tenant id"
        required
        pattern="[A-Za-z0-9][A-Za-z0-9_.:\-]{0,127}"
        hint="Letters, digits, '_', '.', ':' or '-'."
        value={tenantId}
        onChange={(e) => setTenantId(e.target.value)}
      />
      <TextField label="Name (optional)" value={name} onChange={(e) => setName(e.target.value)} />
      <div>
        <Button type="submit" loading={busy}>
          Create tenant
        </Button>
      </div>
    </form>
  );
}

function AddMember({ tenant }: { tenant: string }) {
  const { api } = useSession();
  const [email, setEmail] = useState("");
  const [role, setRole] = useState<"admin" | "member">("member");
  const [busy, setBusy] = useState(false);

  async function submit(event: React.FormEvent) {
    event.preventDefault();
    setBusy(true);
    try {
      await endpoints.addMember(api, tenant, email.trim(), role);
      notifySuccess(`${email.trim()} is now ${role} of ${tenant}`);
      setEmail("");
    } catch (error) {
      notifyError(error);
    } finally {
      setBusy(false);
    }
  }

  return (
    <form onSubmit={submit} className="grid gap-4" aria-label={`Add a member to ${tenant}`}>
      <TextField
        label="Email of an existing user"
        type="email"
        required
        value={email}
        onChange={(e) => setEmail(e.target.value)}
      />
      <SelectField label="Role" value={role} onChange={(e) => setRole(e.target.value as "admin" | "member")}>
        <option value="member">member (read and write)</option>
        <option value="admin">admin (also keys, members, retention)</option>
      </SelectField>
      <div>
        <Button type="submit" loading={busy}>
          Add member
        </Button>
      </div>
    </form>
  );
}

export function TenantsScreen() {
  const { tenants, tenant, setTenant, isAdmin, me } = useSession();
  const figures = useTenantUsage(tenants.map((t) => t.tenant_id));
  return (
    <>
      <PageHeader title="Tenants" description="Each tenant's memories are kept strictly apart; pick the one the screens act in." />
      <ul aria-label="Your tenants" className="mb-6 divide-y divide-slate-100 rounded-lg border border-slate-200 bg-white shadow-sm">
        {tenants.map((t) => (
          <li key={t.tenant_id} className="flex flex-wrap items-center gap-3 px-4 py-3">
            <span className="font-mono font-medium text-slate-900">{t.tenant_id}</span>
            {t.role && <Badge tone={t.role === "admin" ? "amber" : "slate"}>{t.role}</Badge>}
            <span className="text-xs text-slate-500">{t.scopes.join(" · ")}</span>
            <TenantFigures usage={figures[t.tenant_id]} />
            <span className="ml-auto">
              {t.tenant_id === tenant ? (
                <Badge tone="indigo">current</Badge>
              ) : (
                <Button variant="secondary" size="sm" onClick={() => setTenant(t.tenant_id)}>
                  Use this tenant
                </Button>
              )}
            </span>
          </li>
        ))}
      </ul>
      <div className="grid gap-6 md:grid-cols-2">
        <Card title="New tenant">
          <CreateTenant />
        </Card>
        {tenant && isAdmin && (
          <Card title={`Members of ${tenant}`}>
            <AddMember tenant={tenant} />
          </Card>
        )}
      </div>
      {me?.is_superuser && <p className="mt-6 text-sm text-slate-500">You are an operator (superuser).</p>}
    </>
  );
}

function TenantFigures({ usage }: { usage: Usage | "error" | undefined }) {
  if (usage === "error") return null;
  if (!usage) return <span className="text-xs text-slate-400">…</span>;
  return (
    <span className="text-xs text-slate-600" data-testid="tenant-figures">
      {count(usage.stored.messages)} messages · {count(usage.stored.conversations)} conversations stored ·{" "}
      {count(usage.messages)} new in 30 days
    </span>
  );
}
