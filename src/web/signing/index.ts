/** Signing: the sign form, the signature list and CSV, the signer's private pages, the proof-of-work challenge. */
export { ProofOfWorkField } from "./ProofOfWorkField.tsx";
export { powRoutes } from "./pow-challenge.ts";
export { HONEYPOT_FIELD, Honeypot } from "./SignForm.tsx";
export { SignatureList } from "./SignatureList.tsx";
export { PAGE_SIZE, sign, signFormFor } from "./sign.tsx";
export { signer } from "./signer-pages.tsx";
export { pageCursor, rateLimitMessage } from "./messages.ts";
export { SIGN_ACTION_SIGNERS, SignAction } from "./SignAction.tsx";
