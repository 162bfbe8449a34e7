"use client";
import { useEffect } from "react";
import Link from "next/link";
import { usePathname, useRouter } from "next/navigation";
import { useQueryClient } from "@tanstack/react-query";
import { useTheme } from "next-themes";
import {
  Building2,
  ChevronsUpDown,
  Cpu,
  Database,
  History,
  KeyRound,
  LayoutDashboard,
  LogOut,
  Monitor,
  Moon,
  ScrollText,
  Sparkles,
  Star,
  Sun,
  Users,
  type LucideIcon,
} from "lucide-react";
import { toast } from "sonner";
import {
  DropdownMenu,
  DropdownMenuContent,
  DropdownMenuItem,
  DropdownMenuLabel,
  DropdownMenuRadioGroup,
  DropdownMenuRadioItem,
  DropdownMenuSeparator,
  DropdownMenuTrigger,
} from "@/components/ui/dropdown-menu";
import { Badge } from "@/components/ui/badge";
import { useMe } from "@/lib/me";
import type { Permission } from "@/lib/api/types";
import { toApiError, errorMessage } from "@/lib/api/errors";
import { cn } from "@/lib/utils";

interface NavItem {
  href: string;
  label: string;
  icon: LucideIcon;
  needs: Permission;
}

const WORKSPACE: NavItem[] = [
  { href: "/ask", label: "Ask", icon: Sparkles, needs: "queries:read" },
  { href: "/dashboard", label: "Dashboard", icon: LayoutDashboard, needs: "queries:read" },
  { href: "/saved", label: "Saved", icon: Star, needs: "queries:read" },
  { href: "/history", label: "History", icon: History, needs: "queries:read" },
  { href: "/datasources", label: "Data sources", icon: Database, needs: "datasources:read" },
];

export const ADMIN: NavItem[] = [
  { href: "/admin/api-keys", label: "API keys", icon: KeyRound, needs: "api_keys:manage" },
  { href: "/admin/members", label: "Members", icon: Users, needs: "members:manage" },
  { href: "/admin/audit", label: "Audit log", icon: ScrollText, needs: "audit:read" },
  { href: "/admin/engines", label: "Engines", icon: Cpu, needs: "engines:manage" },
];

export function AppShell({ children }: { children: React.ReactNode }) {
  const me = useMe();
  const pathname = usePathname();
  const router = useRouter();
  const admin = ADMIN.filter((i) => me.permissions.includes(i.needs));

  // "/" or Ctrl/⌘+K focuses the ask box from anywhere.
  useEffect(() => {
    function onKey(e: KeyboardEvent) {
      const target = e.target as HTMLElement | null;
      const typing = target && (target.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName));
      const cmdK = (e.metaKey || e.ctrlKey) && e.key.toLowerCase() === "k";
      if (cmdK || (e.key === "/" && !typing && !e.metaKey && !e.ctrlKey && !e.altKey)) {
        e.preventDefault();
        const box = document.getElementById("ask-input");
        if (box) box.focus();
        else router.push("/ask?focus=1");
      }
    }
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [router]);

  return (
    <div className="flex min-h-dvh">
      <a
        href="#main"
        className="sr-only focus:not-sr-only focus:fixed focus:left-2 focus:top-2 focus:z-50 focus:rounded-md focus:bg-background focus:px-3 focus:py-2 focus:shadow"
      >
        Skip to content
      </a>
      <aside className="sticky top-0 flex h-dvh w-14 shrink-0 flex-col border-r bg-sidebar lg:w-60">
        <OrgSwitcher />
        <nav aria-label="Main" className="flex flex-1 flex-col gap-4 overflow-y-auto px-2 py-3">
          <NavGroup items={WORKSPACE.filter((i) => me.permissions.includes(i.needs))} pathname={pathname} />
          {admin.length > 0 && <NavGroup title="Administration" items={admin} pathname={pathname} />}
        </nav>
        <UserMenu />
      </aside>
      <main id="main" className="min-w-0 flex-1">
        {children}
      </main>
    </div>
  );
}

function NavGroup({ title, items, pathname }: { title?: string; items: NavItem[]; pathname: string }) {
  return (
    <div className="flex flex-col gap-0.5">
      {title && <p className="hidden px-2 pb-1 text-xs font-medium text-muted-foreground lg:block">{title}</p>}
      {items.map((item) => {
        const active = pathname === item.href || pathname.startsWith(`${item.href}/`);
        return (
          // No prefetch: every page is dynamic, so a prefetch renders the layout (and asks the
          // API who the caller is) for each of these links on every page view, and under load
          // a click raced the hover prefetch of its own link and never navigated.
          <Link
            key={item.href}
            href={item.href}
            prefetch={false}
            aria-current={active ? "page" : undefined}
            title={item.label}
            className={cn(
              "flex items-center gap-2.5 rounded-md px-2.5 py-1.5 text-sm font-medium text-muted-foreground transition-colors hover:bg-accent hover:text-accent-foreground focus-visible:outline-none focus-visible:ring-2 focus-visible:ring-ring",
              active && "bg-accent text-accent-foreground",
            )}
          >
            <item.icon className="size-4 shrink-0" />
            <span className="hidden lg:inline">{item.label}</span>
          </Link>
        );
      })}
    </div>
  );
}

function OrgSwitcher() {
  const me = useMe();
  const router = useRouter();
  const qc = useQueryClient();

  async function switchTo(id: string) {
    if (id === me.organisation.id) return;
    const res = await fetch("/api/session/switch", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ organisation_id: id }),
    });
    if (!res.ok) {
      toast.error(errorMessage(await toApiError(res)));
      return;
    }
    qc.clear();
    router.push("/ask");
    router.refresh();
  }

  return (
    <div className="border-b p-2">
      <DropdownMenu>
        <DropdownMenuTrigger
          className="flex w-full items-center gap-2 rounded-md p-1.5 text-left hover:bg-accent focus-visible:outline-none focus-visible:ring-2 focus-visible:ring-ring"
          aria-label={`Organisation: ${me.organisation.name}. Switch organisation`}
        >
          <span className="flex size-7 shrink-0 items-center justify-center rounded-md bg-primary text-sm font-bold text-primary-foreground">
            {me.organisation.name.charAt(0).toUpperCase()}
          </span>
          <span className="hidden min-w-0 flex-1 lg:block">
            <span className="block truncate text-sm font-semibold" data-testid="org-name">
              {me.organisation.name}
            </span>
            <span className="block text-xs capitalize text-muted-foreground">{me.role}</span>
          </span>
          <ChevronsUpDown className="hidden size-4 text-muted-foreground lg:block" />
        </DropdownMenuTrigger>
        <DropdownMenuContent align="start" className="w-60">
          <DropdownMenuLabel>Organisations</DropdownMenuLabel>
          <DropdownMenuRadioGroup value={me.organisation.id} onValueChange={(v) => void switchTo(v)}>
            {me.memberships.map((m) => (
              <DropdownMenuRadioItem key={m.organisation.id} value={m.organisation.id}>
                <Building2 className="text-muted-foreground" />
                <span className="flex-1 truncate">{m.organisation.name}</span>
                <Badge variant="secondary" className="capitalize">
                  {m.role}
                </Badge>
              </DropdownMenuRadioItem>
            ))}
          </DropdownMenuRadioGroup>
        </DropdownMenuContent>
      </DropdownMenu>
    </div>
  );
}

function UserMenu() {
  const me = useMe();
  const router = useRouter();
  const { theme, setTheme } = useTheme();
  const name = me.user.display_name || me.user.email;

  async function signOut() {
    await fetch("/api/session", { method: "DELETE" });
    router.replace("/login");
    router.refresh();
  }

  return (
    <div className="border-t p-2">
      <DropdownMenu>
        <DropdownMenuTrigger
          className="flex w-full items-center gap-2 rounded-md p-1.5 text-left hover:bg-accent focus-visible:outline-none focus-visible:ring-2 focus-visible:ring-ring"
          aria-label="Account and theme"
          data-testid="user-menu"
        >
          <span className="flex size-7 shrink-0 items-center justify-center rounded-full bg-muted text-xs font-semibold uppercase">
            {name.slice(0, 2)}
          </span>
          <span className="hidden min-w-0 flex-1 truncate text-sm lg:block">{name}</span>
        </DropdownMenuTrigger>
        <DropdownMenuContent align="start" side="top" className="w-56">
          <DropdownMenuLabel className="truncate">{me.user.email}</DropdownMenuLabel>
          <DropdownMenuSeparator />
          <DropdownMenuLabel>Theme</DropdownMenuLabel>
          <DropdownMenuRadioGroup value={theme ?? "system"} onValueChange={setTheme}>
            <DropdownMenuRadioItem value="light">
              <Sun /> Light
            </DropdownMenuRadioItem>
            <DropdownMenuRadioItem value="dark">
              <Moon /> Dark
            </DropdownMenuRadioItem>
            <DropdownMenuRadioItem value="system">
              <Monitor /> System
            </DropdownMenuRadioItem>
          </DropdownMenuRadioGroup>
          <DropdownMenuSeparator />
          <DropdownMenuItem onSelect={() => void signOut()}>
            <LogOut /> Sign out
          </DropdownMenuItem>
        </DropdownMenuContent>
      </DropdownMenu>
    </div>
  );
}
