// The header's wallet control: connect (a key file from the CLI's key store and its passphrase,
// unlocked in this page), then the address and roles, and disconnect.
import { useRef, useState } from 'preact/hooks';
import { connect, disconnect, useSession } from './session.js';

export function WalletButton() {
  const session = useSession();
  const dialog = useRef(null);
  const [file, setFile] = useState(null);
  const [passphrase, setPassphrase] = useState('');
  if (session.wallet) {
    return (
      <span class="wallet" data-testid="wallet">
        <span class="mono" title={session.wallet.address}>{session.wallet.name} · {session.wallet.address.slice(0, 10)}…</span>
        {session.roles.map((r) => <span key={r} class="badge ok" data-testid="role">{r}</span>)}
        <button type="button" class="link" onClick={disconnect}>Disconnect</button>
      </span>
    );
  }
  const submit = async (event) => {
    event.preventDefault();
    if (!file) return;
    const connected = await connect(await file.text(), passphrase);
    setPassphrase('');
    if (connected) dialog.current?.close();
  };
  return (
    <>
      <button type="button" class="theme wide" onClick={() => dialog.current?.showModal()}>Connect wallet</button>
      <dialog ref={dialog} class="modal" aria-labelledby="wallet-title">
        <form method="dialog" onSubmit={submit}>
          <h2 id="wallet-title">Connect a wallet</h2>
          <p class="hint">A key file from a metanode key store (<span class="mono">keys/NAME.key.json</span>) and its passphrase.
            It is unlocked in this page; neither leaves the browser.</p>
          <label>Key file <input type="file" accept=".json,application/json" data-testid="key-file" onChange={(e) => setFile(e.currentTarget.files[0] ?? null)} /></label>
          <label>Passphrase <input type="password" autocomplete="current-password" data-testid="passphrase" value={passphrase} onInput={(e) => setPassphrase(e.currentTarget.value)} /></label>
          {session.busy && <progress value={session.progress} max="1" aria-label="unlocking the key" />}
          {session.error && <div class="field-error" role="alert" data-testid="wallet-error">{session.error}</div>}
          <div class="actions">
            <button type="button" class="link" onClick={() => dialog.current?.close()}>Cancel</button>
            <button type="submit" disabled={!file || session.busy} data-testid="unlock">{session.busy ? 'Unlocking…' : 'Unlock'}</button>
          </div>
        </form>
      </dialog>
    </>
  );
}
