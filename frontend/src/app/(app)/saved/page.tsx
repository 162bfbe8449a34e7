import type { Metadata } from "next";
import { SavedPage } from "./saved-page";

export const metadata: Metadata = { title: "Saved questions" };

export default function Page() {
  return <SavedPage />;
}
