// The header's wallet control. Connect with the key saved in this browser, a key file from a
// metanode key store (`metanode keys export NAME`), or a new key made here; each is unlocked in
// this page with its passphrase, which like the key never leaves the browser. Connected: the
// address and roles, and disconnect.
import { useRef, useState } from 'preact/hooks';
import { connect, createAndConnect, disconnect, forgetSavedKey, savedKeyFile, useSession } from './session.js';

function download(name, text) {
  const url = URL.createObjectURL(new Blob([text], { type: 'application/json' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = `${name}.key.json`;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

export function WalletButton() {
  const session = useSession();
  const dialog = useRef(null);
  const [mode, setMode] = useState('import');
  const [file, setFile] = useState(null);
  const [passphrase, setPassphrase] = useState('');
  const [repeat, setRepeat] = useState('');
  const [name, setName] = useState('browser-key');
  const [remember, setRemember] = useState(true);
  const [created, setCreated] = useState(null);
  const [saved, setSaved] = useState(savedKeyFile());
  if (session.wallet) {
    return (
      <span class="wallet" data-testid="wallet">
        <span class="mono" title={session.wallet.address}>{session.wallet.name} · {session.wallet.address.slice(0, 10)}…</span>
        {session.roles.map((r) => <span key={r} class="badge ok" data-testid="role">{r}</span>)}
        {created && <button type="button" class="link" onClick={() => download(created.name, created.text)} data-testid="save-key">Save key file</button>}
        <button type="button" class="link" onClick={() => { disconnect(); setSaved(savedKeyFile()); }}>Disconnect</button>
      </span>
    );
  }
  const open = () => {
    const s = savedKeyFile();
    setSaved(s);
    setMode(s ? 'saved' : 'import');
    dialog.current?.showModal();
  };
  const submit = async (event) => {
    event.preventDefault();
    let ok = false;
    if (mode === 'saved' && saved) ok = await connect(saved.text, passphrase, true);
    if (mode === 'import' && file) ok = await connect(await file.text(), passphrase, remember);
    if (mode === 'create') {
      if (passphrase !== repeat) return;
      const text = await createAndConnect(name, passphrase);
      if (text) setCreated({ name, text });
      ok = Boolean(text);
    }
    setPassphrase('');
    setRepeat('');
    if (ok) dialog.current?.close();
  };
  const mismatch = mode === 'create' && repeat !== '' && passphrase !== repeat;
  const ready = mode === 'saved' ? Boolean(saved) : mode === 'import' ? Boolean(file) : Boolean(name) && passphrase !== '' && passphrase === repeat;
  return (
    <>
      <button type="button" class="theme wide" onClick={open}>Connect wallet</button>
      <dialog ref={dialog} class="modal" aria-labelledby="wallet-title">
        <form method="dialog" onSubmit={submit}>
          <h2 id="wallet-title">Connect a wallet</h2>
          <div class="tabs" role="radiogroup" aria-label="Which key">
            {saved && <label><input type="radio" name="mode" checked={mode === 'saved'} onChange={() => setMode('saved')} /> Saved in this browser</label>}
            <label><input type="radio" name="mode" checked={mode === 'import'} onChange={() => setMode('import')} data-testid="mode-import" /> Key file</label>
            <label><input type="radio" name="mode" checked={mode === 'create'} onChange={() => setMode('create')} data-testid="mode-create" /> New key</label>
          </div>
          {mode === 'saved' && saved && (
            <p class="hint" data-testid="saved-key">{saved.name} · <span class="mono">{saved.address}</span>{' '}
              <button type="button" class="link" onClick={() => { forgetSavedKey(); setSaved(null); setMode('import'); }}>Forget it</button></p>
          )}
          {mode === 'import' && (
            <>
              <p class="hint">A key file from a metanode key store: <span class="mono">metanode keys export NAME --out NAME.key.json</span>. It stays encrypted; it is unlocked in this page.</p>
              <label>Key file <input type="file" accept=".json,application/json" data-testid="key-file" onChange={(e) => setFile(e.currentTarget.files[0] ?? null)} /></label>
              <label class="inline"><input type="checkbox" checked={remember} onChange={(e) => setRemember(e.currentTarget.checked)} /> Keep it in this browser (encrypted under its passphrase)</label>
            </>
          )}
          {mode === 'create' && (
            <>
              <p class="hint">An Ed25519 and ML-DSA-65 key made in this page, kept in this browser encrypted under the passphrase. Save its key file afterwards to use it with the CLI (put it in a key store as <span class="mono">keys/NAME.key.json</span>).</p>
              <label>Name <input value={name} onInput={(e) => setName(e.currentTarget.value)} data-testid="new-name" /></label>
            </>
          )}
          <label>Passphrase <input type="password" autocomplete={mode === 'create' ? 'new-password' : 'current-password'} data-testid="passphrase" value={passphrase} onInput={(e) => setPassphrase(e.currentTarget.value)} /></label>
          {mode === 'create' && <label>Passphrase again <input type="password" autocomplete="new-password" data-testid="passphrase-again" value={repeat} onInput={(e) => setRepeat(e.currentTarget.value)} /></label>}
          {mismatch && <div class="field-error" role="alert">The two passphrases differ.</div>}
          {session.busy && <progress value={session.progress} max="1" aria-label="deriving the key from the passphrase" />}
          {session.error && <div class="field-error" role="alert" data-testid="wallet-error">{session.error}</div>}
          <div class="actions">
            <button type="button" class="link" onClick={() => dialog.current?.close()}>Cancel</button>
            <button type="submit" disabled={!ready || session.busy} data-testid="unlock">{session.busy ? 'Working…' : mode === 'create' ? 'Create and connect' : 'Unlock'}</button>
          </div>
        </form>
      </dialog>
    </>
  );
}
