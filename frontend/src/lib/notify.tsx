import toast from "react-hot-toast";
import { ApiError, errorMessage } from "./api";

/** Show an error as a toast: the server's message, and its request id to quote. */
export function notifyError(error: unknown): void {
  if (error instanceof DOMException && error.name === "AbortError") return;
  const message = errorMessage(error);
  const requestId = error instanceof ApiError ? error.requestId : null;
  toast.error(
    <span>
      {message}
      {requestId && <span className="mt-0.5 block font-mono text-[11px] text-slate-500">request {requestId}</span>}
    </span>,
    { id: `${error instanceof ApiError ? error.code : "error"}:${message}` },
  );
}

export function notifySuccess(message: string): void {
  toast.success(message);
}
