"use client";

import { useEffect, useRef, useState } from "react";
import { Badge, Button, Card, Checkbox, EmptyState, Loading, PageHeader, TextField } from "@/components/ui";
import * as endpoints from "@/lib/endpoints";
import { formatTime, relativeTime } from "@/lib/format";
import { useLoad } from "@/lib/hooks";
import { notifyError, notifySuccess } from "@/lib/notify";
import { useSession } from "@/lib/session";
import { type ApiKey, type NewApiKey, type Scope, SCOPES } from "@/lib/types";

export function keyState(key: ApiKey, now = Date.now()): "active" | "revoked" | "expired" {
  if (key.revoked_at) return "revoked";
  if (key.expires_at && Date.parse(key.expires_at) <= now) return "expired";
  return "active";
}

/** The new key, shown this once, with a copy button. */
function NewKeyPanel({ made, onDone }: { made: NewApiKey; onDone: () => void }) {
  const heading = useRef<HTMLHeadingElement>(null);
  const [copied, setCopied] = useState(false);
  useEffect(() => heading.current?.focus(), []);

  async function copy() {
    try {
      await navigator.clipboard.writeText(made.key);
      setCopied(true);
    } catch {
      notifyError(new Error("Copying was refused by the browser; select the key and copy it by hand."));
    }
  }

  return (
    <section
      aria-labelledby="new-key-heading"
      className="mb-6 rounded-lg border border-emerald-300 bg-emerald-50 p-4"
      data-testid="new-key"
    >
      <h2 id="new-key-heading" ref={heading} tabIndex={-1} className="font-semibold text-emerald-900">
        Key “{made.name}” created — copy it now
      </h2>
      <p className="mt-1 text-sm text-emerald-900">
        This is the only time it is shown. Store it in your secret manager; Memory Mesh keeps only a hash.
      </p>
      <div className="mt-3 flex flex-col gap-2 sm:flex-row">
        <input
          readOnly
          aria-label="New API key"
          value={made.key}
          onFocus={(e) => e.currentTarget.select()}
          className="min-w-0 flex-1 rounded-md border-0 bg-white px-3 py-2 font-mono text-sm ring-1 ring-inset ring-emerald-300"
        />
        <div className="flex gap-2">
          <Button variant="secondary" onClick={() => void copy()}>
            {copied ? "Copied" : "Copy"}
          </Button>
          <Button onClick={onDone}>Done</Button>
        </div>
      </div>
    </section>
  );
}

function CreateKeyForm({ onCreated }: { onCreated: (made: NewApiKey) => void }) {
  const { api, tenant } = useSession();
  const [name, setName] = useState("");
  const [scopes, setScopes] = useState<Scope[]>(["read", "write"]);
  const [days, setDays] = useState("");
  const [busy, setBusy] = useState(false);

  async function submit(event: React.FormEvent) {
    event.preventDefault();
    if (!tenant) return;
    setBusy(true);
    try {
      const made = await endpoints.createApiKey(api, tenant, {
        name: name.trim(),
        scopes,
        expires_in_days: days ? Number(days) : undefined,
      });
      setName("");
      setDays("");
      onCreated(made);
    } catch (error) {
      notifyError(error);
    } finally {
      setBusy(false);
    }
  }

  const toggle = (scope: Scope) => (e: React.ChangeEvent<HTMLInputElement>) =>
    setScopes((current) => (e.target.checked ? [...current, scope] : current.filter((s) => s !== scope)));

  return (
    <form onSubmit={submit} className="grid gap-4" aria-label="Create an API key">
      <div className="grid gap-4 sm:grid-cols-[1fr_10rem]">
        <TextField
          label="Name"
          placeholder="chatbot production"
          required
          maxLength={200}
          value={name}
          onChange={(e) => setName(e.target.value)}
        />
        <TextField
          label="Expires in (days)"
          type="number"
          min={1}
          max={3650}
          placeholder="never"
          value={days}
          onChange={(e) => setDays(e.target.value)}
        />
      </div>
      <fieldset className="flex flex-wrap items-center gap-x-5 gap-y-2">
        <legend className="mb-1 text-sm font-medium text-slate-700">Scopes</legend>
        {SCOPES.map((scope) => (
          <Checkbox key={scope} label={scope} checked={scopes.includes(scope)} onChange={toggle(scope)} />
        ))}
      </fieldset>
      <div>
        <Button type="submit" loading={busy} disabled={scopes.length === 0}>
          Create key
        </Button>
      </div>
    </form>
  );
}

function KeyRow({ apiKey, onRevoked }: { apiKey: ApiKey; onRevoked: () => void }) {
  const { api } = useSession();
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const state = keyState(apiKey);

  async function revoke() {
    setBusy(true);
    try {
      await endpoints.revokeApiKey(api, apiKey.id);
      notifySuccess(`Key “${apiKey.name}” revoked`);
      onRevoked();
    } catch (error) {
      notifyError(error);
    } finally {
      setBusy(false);
      setConfirming(false);
    }
  }

  return (
    <li data-testid="api-key" data-key-name={apiKey.name} className="flex flex-wrap items-center gap-x-6 gap-y-2 px-4 py-3">
      <div className="min-w-0 flex-1 basis-56">
        <div className="flex flex-wrap items-center gap-2">
          <span className="font-medium text-slate-900">{apiKey.name}</span>
          <Badge tone={state === "active" ? "green" : state === "revoked" ? "rose" : "slate"}>{state}</Badge>
        </div>
        <div className="mt-1 font-mono text-xs text-slate-500">{apiKey.prefix}…</div>
      </div>
      <div className="flex flex-wrap gap-1">
        {apiKey.scopes.map((s) => (
          <Badge key={s} tone={s === "admin" ? "amber" : "indigo"}>
            {s}
          </Badge>
        ))}
      </div>
      <dl className="grid grid-cols-3 gap-x-4 text-xs text-slate-600 sm:w-auto">
        <div>
          <dt className="text-slate-400">created</dt>
          <dd title={formatTime(apiKey.created_at)}>{relativeTime(apiKey.created_at)}</dd>
        </div>
        <div>
          <dt className="text-slate-400">last used</dt>
          <dd>{apiKey.last_used_at ? relativeTime(apiKey.last_used_at) : "never"}</dd>
        </div>
        <div>
          <dt className="text-slate-400">expires</dt>
          <dd>{apiKey.expires_at ? formatTime(apiKey.expires_at) : "never"}</dd>
        </div>
      </dl>
      <div className="ml-auto flex gap-2">
        {state !== "revoked" &&
          (confirming ? (
            <>
              <Button variant="danger" size="sm" loading={busy} onClick={() => void revoke()} autoFocus>
                Revoke now
              </Button>
              <Button variant="ghost" size="sm" onClick={() => setConfirming(false)}>
                Cancel
              </Button>
            </>
          ) : (
            <Button variant="secondary" size="sm" onClick={() => setConfirming(true)} aria-label={`Revoke ${apiKey.name}`}>
              Revoke…
            </Button>
          ))}
      </div>
    </li>
  );
}

export function ApiKeysScreen() {
  const { api, tenant, isAdmin } = useSession();
  const tenantId = tenant ?? "";
  const [made, setMade] = useState<NewApiKey | null>(null);
  const keys = useLoad(isAdmin ? tenant : null, () => endpoints.listApiKeys(api, tenantId));

  useEffect(() => setMade(null), [tenant]);

  if (!isAdmin) {
    return (
      <>
        <PageHeader title="API keys" />
        <EmptyState title="Only tenant admins manage API keys">Ask an admin of {tenantId} for a key.</EmptyState>
      </>
    );
  }

  const list = keys.data ?? [];
  return (
    <>
      <PageHeader
        title="API keys"
        description={
          <>
            Keys for applications calling the API as tenant <span className="font-mono">{tenantId}</span> (header{" "}
            <span className="font-mono">x-api-key</span>).
          </>
        }
      />
      {made && (
        <NewKeyPanel
          made={made}
          onDone={() => setMade(null)}
        />
      )}
      <Card title="New key" className="mb-6">
        <CreateKeyForm
          onCreated={(key) => {
            setMade(key);
            void keys.reload();
          }}
        />
      </Card>
      {keys.loading && !keys.data ? (
        <Loading label="Loading keys…" />
      ) : list.length === 0 ? (
        <EmptyState title={keys.failed ? "Could not load the keys" : "No API keys yet"}>
          {keys.failed ? "Try again in a moment." : "Create one above for each application."}
        </EmptyState>
      ) : (
        <ul aria-label="API keys" className="divide-y divide-slate-100 rounded-lg border border-slate-200 bg-white shadow-sm">
          {list.map((key) => (
            <KeyRow key={key.id} apiKey={key} onRevoked={() => void keys.reload()} />
          ))}
        </ul>
      )}
    </>
  );
}
