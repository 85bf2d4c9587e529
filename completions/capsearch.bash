# bash completion for capsearch (installed as share/bash-completion/completions/capsearch).
# Commands and sub-commands are listed here; each command's flags are read from its own --help,
# so they never fall out of date; --model/--device/--network complete from the catalogs.
_capsearch() {
  local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]} exe=${COMP_WORDS[0]}
  local cmds="simulate plan recommend analyze report list trace predictor sweep help"
  if [ "$COMP_CWORD" -eq 1 ] && [[ $cur != -* ]]; then
    COMPREPLY=($(compgen -W "$cmds" -- "$cur"))
    return
  fi
  local cmd=${COMP_WORDS[1]} sub=""
  case $cmd in -*) cmd="" ;; esac
  case $cmd in
  help) [ "$COMP_CWORD" -eq 2 ] && COMPREPLY=($(compgen -W "$cmds" -- "$cur")); return ;;
  list) [ "$COMP_CWORD" -eq 2 ] && COMPREPLY=($(compgen -W "models devices networks schedulers predictors searches metrics trace-formats" -- "$cur")) && return ;;
  trace | predictor)
    local subs="info convert generate"
    [ "$cmd" = predictor ] && subs="check time"
    if [ "$COMP_CWORD" -eq 2 ]; then COMPREPLY=($(compgen -W "$subs" -- "$cur")); return; fi
    sub=${COMP_WORDS[2]} ;;
  esac
  local kind=""
  case $prev in
  --model) kind=models ;;
  --device) kind=devices ;;
  --network) kind=networks ;;
  esac
  if [ -n "$kind" ]; then
    COMPREPLY=($(compgen -W "$("$exe" list "$kind" 2>/dev/null | awk 'NR > 1 {print $1}')" -- "$cur"))
    return
  fi
  if [[ $cur == -* ]]; then
    local flags
    flags=$("$exe" $cmd $sub --help 2>/dev/null | grep -o -- '--[a-z][a-z0-9-]*' | sort -u)
    COMPREPLY=($(compgen -W "$flags" -- "$cur"))
    return
  fi
  COMPREPLY=($(compgen -f -- "$cur"))
}
complete -o filenames -F _capsearch capsearch
