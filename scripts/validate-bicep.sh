#!/usr/bin/env bash
# Compiles and lints infra/bicep/main.bicep with the Bicep CLI from NuGet (Azure.Bicep.CommandLine.linux-x64).
# Fails on any compile error and on any lint diagnostic (warning or error): the lint output must be clean.
set -euo pipefail

BICEP_VERSION="${BICEP_VERSION:-0.49.2}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="${BICEP_CACHE:-${XDG_CACHE_HOME:-${HOME}/.cache}/synthpref/bicep/${BICEP_VERSION}}"
BICEP="${CACHE}/bicep"

if [[ ! -x "${BICEP}" ]]; then
  work="$(mktemp -d)"
  trap 'rm -rf "${work}"' EXIT
  # A throwaway project whose only job is to make NuGet fetch the package into a private folder.
  cat > "${work}/fetch.csproj" <<XML
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <TargetFramework>net10.0</TargetFramework>
    <ImportDirectoryBuildProps>false</ImportDirectoryBuildProps>
    <ImportDirectoryBuildTargets>false</ImportDirectoryBuildTargets>
  </PropertyGroup>
  <ItemGroup>
    <PackageDownload Include="Azure.Bicep.CommandLine.linux-x64" Version="[${BICEP_VERSION}]" />
  </ItemGroup>
</Project>
XML
  dotnet restore "${work}/fetch.csproj" --packages "${work}/packages" >/dev/null
  found="$(find "${work}/packages/azure.bicep.commandline.linux-x64" -type f -name bicep | head -n 1)"
  if [[ -z "${found}" ]]; then
    echo "validate-bicep: no 'bicep' binary in Azure.Bicep.CommandLine.linux-x64 ${BICEP_VERSION}" >&2
    exit 1
  fi
  mkdir -p "${CACHE}"
  cp "${found}" "${BICEP}"
  chmod +x "${BICEP}"
fi

cd "${ROOT}"
"${BICEP}" --version
status=0
for file in infra/bicep/main.bicep infra/bicep/main.bicepparam; do
  [[ -f "${file}" ]] || continue
  echo "== build ${file}"
  case "${file}" in
    *.bicepparam) out="$("${BICEP}" build-params "${file}" --stdout 2>&1 >/dev/null)" || status=1 ;;
    *)            out="$("${BICEP}" build "${file}" --stdout 2>&1 >/dev/null)" || status=1 ;;
  esac
  if [[ -n "${out}" ]]; then echo "${out}"; status=1; fi
  echo "== lint ${file}"
  out="$("${BICEP}" lint "${file}" 2>&1)" || status=1
  if [[ -n "${out}" ]]; then echo "${out}"; status=1; fi
done

if [[ ${status} -ne 0 ]]; then
  echo "validate-bicep: FAILED (errors or lint diagnostics above)" >&2
  exit 1
fi
echo "validate-bicep: OK (build and lint clean)"
