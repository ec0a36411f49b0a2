import type { NextConfig } from "next";

// A static export: plain files that S3/CloudFront or `memory-mesh serve` can host.
// Every page is client-rendered against the API at NEXT_PUBLIC_API_BASE_URL (alias:
// NEXT_PUBLIC_API_BASE; default: same origin).
const nextConfig: NextConfig = {
  output: "export",
  // /conversations/ -> conversations/index.html: what S3 website hosting and static.py expect
  trailingSlash: true,
  images: { unoptimized: true },
  reactStrictMode: true,
  poweredByHeader: false,
  // lint runs as its own step (npm run lint); the build still type-checks
  eslint: { ignoreDuringBuilds: true },
};

export default nextConfig;
